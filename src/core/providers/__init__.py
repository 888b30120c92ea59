"""LLM providers behind one Protocol."""
