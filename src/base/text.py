"""Text that came out of a sandboxed run, made safe to show in a terminal or a web page."""

from __future__ import annotations

import re

# Escape sequences first (CSI, OSC, two-byte), so their parameters go with them; then any other
# C0/C1 control but tab and newline, and the bidi overrides that reorder what a reader sees.
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)


def printable(text: str) -> str:
    """text without terminal escape sequences and control characters (tab and newline stay)."""
    return _CONTROL.sub("", text)


# A colour or bold (SGR) sequence: all the views add themselves, and harmless if passed along.
_KEEP_SGR = re.compile(r"(\x1b\[[0-9;]*m)")


def shown(text: str) -> str:
    """text for the terminal: printable, except that SGR colour sequences stay."""
    return "".join(
        part if index % 2 else printable(part) for index, part in enumerate(_KEEP_SGR.split(text))
    )
