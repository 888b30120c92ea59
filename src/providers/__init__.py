"""LLM providers behind one Protocol, and the offline fixers beside the offline provider."""
