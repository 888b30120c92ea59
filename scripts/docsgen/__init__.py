"""Generators of the manual's reference pages; `make docs-ref` runs them all."""
