"""What the personas may see of a repository: a compact map and the planned files, no secrets."""

from __future__ import annotations

import fnmatch
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import structlog

from self_improving_agent.analysis.references import Module, parse_module
from self_improving_agent.base.pysource import parse_source, read_source

log = structlog.get_logger(__name__)

MAX_PLANNED_FILE_BYTES = 128 * 1024
# Larger sources are listed without symbols: parsing them costs more than they add to a map.
MAX_PARSED_BYTES = 512 * 1024
MIN_SECRET_VALUE = 20
MIN_SECRET_ENTROPY = 3.5

_SECRET_PATTERNS = (
    re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"sk-ant-[A-Za-z0-9_-]{8,}"),
    re.compile(r"\bghp_[A-Za-z0-9]{20,}"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
)
_SECRET_NAME = r"\w*(?:_key|_token|_secret|password|passwd)"
_ASSIGNMENTS = (
    re.compile(
        rf"(?i)\b{_SECRET_NAME}\b[\"']?\s*[:=]\s*[\"']([A-Za-z0-9+/=_.\-]{{{MIN_SECRET_VALUE},}})[\"']"
    ),
    re.compile(
        rf"(?im)^\s*(?:export\s+)?{_SECRET_NAME}\s*=\s*([A-Za-z0-9+/=_.\-]{{{MIN_SECRET_VALUE},}})\s*$"
    ),
)
REDACTED = "***"


def is_blocked(path: str, patterns: Sequence[str]) -> bool:
    """Whether the file's name (or its whole path) matches a blocked glob, case-insensitively."""
    name = PurePosixPath(path).name.lower()
    whole = path.lower()
    return any(
        fnmatch.fnmatchcase(name, p.lower()) or fnmatch.fnmatchcase(whole, p.lower())
        for p in patterns
    )


def _entropy(value: str) -> float:
    """Shannon entropy of a string in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _random_looking(value: str) -> bool:
    """Whether an assigned value looks like a generated credential rather than a word."""
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    return has_digit and has_alpha and _entropy(value) >= MIN_SECRET_ENTROPY


def _secret_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of text that hold secret-like values."""
    spans = [m.span() for p in _SECRET_PATTERNS for m in p.finditer(text)]
    for pattern in _ASSIGNMENTS:
        spans += [m.span(1) for m in pattern.finditer(text) if _random_looking(m.group(1))]
    return spans


def looks_secret(text: str) -> bool:
    """Whether text holds a private key, a known token format or a random value for a key name."""
    return bool(_secret_spans(text))


def redact_secrets(text: str) -> str:
    """Text with every secret-like value replaced by ***."""
    for start, end in sorted(_secret_spans(text), reverse=True):
        text = text[:start] + REDACTED + text[end:]
    return text


def python_module(repo: Path, path: str) -> Module | None:
    """What a Python source defines, uses and imports, parsed without importing it."""
    try:
        if (repo / path).stat().st_size > MAX_PARSED_BYTES:
            return None
        return parse_module(path, parse_source(read_source(repo / path)))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None


def file_refusal(
    worktree: Path,
    path: str,
    blocked_patterns: Sequence[str],
    max_bytes: int = MAX_PLANNED_FILE_BYTES,
) -> str | None:
    """Why a planned file must not be shown to a model, or None when it may be."""
    base = worktree.resolve()
    target = (base / path).resolve()
    if PurePosixPath(path).is_absolute() or not target.is_relative_to(base) or target == base:
        return "it is outside the worktree"
    if ".git" in target.relative_to(base).parts:
        return "it is under .git/"
    if is_blocked(path, blocked_patterns):
        return "its name matches a blocked pattern"
    if not target.exists():
        return None
    if not target.is_file():
        return "it is not a regular file"
    if target.stat().st_size > max_bytes:
        return f"it is larger than {max_bytes} bytes"
    data = target.read_bytes()
    if b"\0" in data:
        return "it is a binary file"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "it is not UTF-8 text"
    return "its content looks like it holds a secret" if looks_secret(text) else None


def read_planned_files(
    worktree: Path,
    paths: Sequence[str],
    blocked_patterns: Sequence[str],
    max_bytes: int = MAX_PLANNED_FILE_BYTES,
) -> dict[str, str]:
    """The text of each planned file ("" for a new one); refused files are left out and logged."""
    files: dict[str, str] = {}
    for path in dict.fromkeys(paths):
        reason = file_refusal(worktree, path, blocked_patterns, max_bytes)
        if reason is not None:
            log.warning("planned file withheld from the model", path=path, reason=reason)
            continue
        target = worktree / path
        files[path] = target.read_text(encoding="utf-8-sig") if target.exists() else ""
    return files
