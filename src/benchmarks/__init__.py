"""Measuring a repository: one module per benchmark and the runner."""
