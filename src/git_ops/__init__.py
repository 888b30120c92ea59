"""Git (through the one runner, src/base/gitcmd.py) and GitHub (PyGithub) operations."""
