"""Where lessons are shared beyond one machine: Amazon Bedrock AgentCore Memory."""
