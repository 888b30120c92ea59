"""What counts as a secret in the environment, and how to keep it out of logs and subprocesses."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping

NAMED_SECRETS = ("ANTHROPIC_API_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GITHUB_TOKEN")
SECRET_NAME_PATTERNS = ("*_TOKEN", "*_SECRET*", "*_KEY", "AWS_ACCESS_KEY_ID", "*PASSWORD*")
REDACTED = "***"
# Shorter values would redact ordinary words; real credentials are far longer.
MIN_SECRET_LENGTH = 6


def is_secret_name(name: str) -> bool:
    """Whether an environment variable name looks like it holds a credential."""
    upper = name.upper()
    return upper in NAMED_SECRETS or any(
        fnmatch.fnmatchcase(upper, pattern) for pattern in SECRET_NAME_PATTERNS
    )


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """The values of secret-named variables, longest first so overlaps redact fully."""
    values = {v for k, v in environ.items() if is_secret_name(k) and len(v) >= MIN_SECRET_LENGTH}
    return sorted(values, key=len, reverse=True)


def scrub_env(environ: Mapping[str, str]) -> dict[str, str]:
    """A copy of the environment without any secret-named variable."""
    return {k: v for k, v in environ.items() if not is_secret_name(k)}


def redact(text: str, secrets: Iterable[str]) -> str:
    """Text with every occurrence of each secret value replaced."""
    for value in secrets:
        if value:
            text = text.replace(value, REDACTED)
    return text
