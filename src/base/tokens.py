"""The one token estimate used where a provider cannot count: four characters per token."""

CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """Rough token count of text, rounded up."""
    return -(-len(text) // CHARS_PER_TOKEN)
