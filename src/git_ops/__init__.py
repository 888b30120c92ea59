"""Git (GitPython) and GitHub (PyGithub) operations."""
