"""What the CLI commands do, minus option parsing: run/loop orchestration, demo, views."""
