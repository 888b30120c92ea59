"""Measuring environments: where a tree's tests, imports and types are checked."""
