"""What counts as a secret in the environment, and how to keep it out of logs and subprocesses."""

from __future__ import annotations

import fnmatch
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping

NAMED_SECRETS = ("ANTHROPIC_API_KEY", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GITHUB_TOKEN")
SECRET_NAME_PATTERNS = ("*_TOKEN", "*_SECRET*", "*_KEY", "AWS_ACCESS_KEY_ID", "*PASSWORD*")
REDACTED = "***"
# Shorter values would redact ordinary words; real credentials are far longer.
MIN_SECRET_LENGTH = 6
# Any other variable counts as secret by its value once it is this long, whatever its name
# (AWS_BEARER_TOKEN_BEDROCK, DATABASE_URL, GITHUB_PAT name no pattern).
MIN_VALUE_LENGTH = 8
# Variables whose values are public: where things are, how the terminal and locale are set up.
PUBLIC_NAMES = frozenset(
    {
        "PATH", "HOME", "PWD", "OLDPWD", "SHELL", "USER", "LOGNAME", "LANG", "LANGUAGE",
        "TERM", "COLORTERM", "TERM_PROGRAM", "TZ", "TMPDIR", "TMP", "TEMP", "HOSTNAME",
        "HOSTTYPE", "SHLVL", "VIRTUAL_ENV", "EDITOR", "VISUAL", "PAGER", "DISPLAY", "MAIL", "_",
        "PYTHONPATH", "PYTHONHASHSEED", "LS_COLORS", "MAKEFLAGS", "MFLAGS", "MAKELEVEL",
    }
)  # fmt: skip
PUBLIC_PREFIXES = ("LC_", "XDG_", "PYTEST_", "AGENT_")
# scheme://user:password@host: the credential part of any URL, wherever it appears.
_URL_CREDENTIALS = re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+@")


def is_secret_name(name: str) -> bool:
    """Whether an environment variable name looks like it holds a credential."""
    upper = name.upper()
    return upper in NAMED_SECRETS or any(
        fnmatch.fnmatchcase(upper, pattern) for pattern in SECRET_NAME_PATTERNS
    )


def _is_location(value: str) -> bool:
    """Whether value names existing paths (one, or a PATH-like list): a place, not a credential."""
    parts = [p for p in value.split(os.pathsep) if p]
    return bool(parts) and all(os.path.isabs(p) and os.path.exists(p) for p in parts)


def _is_public(name: str, value: str) -> bool:
    """Whether a variable's value may be shown: a public name, a short value, or a location."""
    if is_secret_name(name):
        return len(value) < MIN_SECRET_LENGTH
    if name.upper() in PUBLIC_NAMES or name.upper().startswith(PUBLIC_PREFIXES):
        return True
    return len(value) < MIN_VALUE_LENGTH or _is_location(value)


def secret_values(environ: Mapping[str, str]) -> list[str]:
    """Every value that is not public, the credentials of URLs in any value, and their JSON
    spellings; longest first so overlaps redact fully."""
    values: set[str] = set()
    for name, value in environ.items():
        values.update(m.group()[:-1] for m in _URL_CREDENTIALS.finditer(value))
        if not _is_public(name, value):
            values.add(value)
    values |= {json.dumps(v)[1:-1] for v in values}
    return sorted((v for v in values if v), key=len, reverse=True)


def redactor(environ: Mapping[str, str] | None = None) -> Callable[[str], str]:
    """A function replacing the environment's secret values and URL credentials in a text."""
    secrets = secret_values(os.environ if environ is None else environ)
    return lambda text: redact(text, secrets)


def redact_environment(text: str, environ: Mapping[str, str] | None = None) -> str:
    """text with the environment's secret values and any URL's user:password replaced."""
    return redactor(environ)(text)


def scrub_env(environ: Mapping[str, str]) -> dict[str, str]:
    """A copy of the environment without any secret-named variable."""
    return {k: v for k, v in environ.items() if not is_secret_name(k)}


def redact(text: str, secrets: Iterable[str]) -> str:
    """Text with every occurrence of each secret value, and any URL's user:password, replaced."""
    for value in secrets:
        if value:
            text = text.replace(value, REDACTED)
    return _URL_CREDENTIALS.sub(REDACTED + "@", text)
