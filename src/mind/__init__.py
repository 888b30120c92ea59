"""The mind: what proposes (the Architect's and Builder's prompts, context, fixers)."""
