"""Python source read the way Python reads it: a BOM, a PEP 263 coding cookie, any line endings."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

BOM = "\ufeff"


def decode_source(data: bytes) -> str:
    """The text Python compiles from these bytes: BOM dropped, coding cookie honoured.

    SyntaxError for a cookie naming no codec, UnicodeDecodeError (a ValueError) for bytes that
    are not in the file's encoding, as Python itself would refuse the file.
    """
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data.decode(encoding)


def read_source(path: Path, errors: str = "strict") -> str:
    """A .py file's text as Python reads it; errors='replace' keeps an undecodable one readable."""
    data = path.read_bytes()
    try:
        return decode_source(data)
    except (SyntaxError, ValueError):
        if errors == "strict":
            raise
        return data.decode("utf-8", errors).removeprefix(BOM)


def source_text(text: str) -> str:
    """Decoded source as Python compiles it: a leading BOM marks the file, it is not code."""
    return text.removeprefix(BOM)


def parse_source(text: str, filename: str = "<unknown>") -> ast.Module:
    """ast.parse of decoded source, a file's BOM included (which ast.parse of a str refuses)."""
    return ast.parse(source_text(text), filename=filename)
