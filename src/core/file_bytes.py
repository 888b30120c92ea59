"""A file's bytes kept where an edit does not reach: line endings, BOM, final newline."""

from __future__ import annotations

import codecs
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from self_improving_agent.base.errors import EditFailure

BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class Spelled:
    """A text file as read: its exact bytes, and its text with LF endings for editing."""

    data: bytes
    text: str

    @property
    def bom(self) -> bool:
        """Whether the file starts with a UTF-8 byte order mark."""
        return self.data.startswith(BOM)

    @property
    def raw(self) -> str:
        """The decoded text with the file's own line endings, without the BOM."""
        return self.data.removeprefix(BOM).decode("utf-8")


def read_spelled(target: Path, path: str) -> Spelled | None:
    """The file's bytes and LF text, None when it does not exist; EditFailure unless UTF-8."""
    if not target.exists():
        return None
    data = target.read_bytes()
    try:
        raw = data.removeprefix(BOM).decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise EditFailure(f"{path}: the file is not UTF-8 text and cannot be edited") from None
    return Spelled(data=data, text=raw.replace("\r\n", "\n"))


def split_lines(text: str) -> list[str]:
    """Lines split after each LF only (never at CR, form feed or U+2028), endings kept."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _usual_ending(lines: list[str]) -> str | None:
    """The ending most of these lines have, CRLF or LF; None when none has one."""
    counts = Counter(
        "\r\n" if line.endswith("\r\n") else "\n" for line in lines if line.endswith("\n")
    )
    if not counts:
        return None
    return "\r\n" if counts["\r\n"] > counts["\n"] else "\n"


def respell(raw: str, old: str, new: str) -> str:
    """new (LF text edited from old) with raw's own bytes wherever old and new agree.

    Only the lines between the common first and last lines change; they take the ending of the
    lines they replace (or of the file), so a one-line fix stays a one-line diff in a CRLF file.
    """
    raw_lines, old_lines, new_lines = split_lines(raw), split_lines(old), split_lines(new)
    limit = min(len(old_lines), len(new_lines))
    head = 0
    while head < limit and old_lines[head] == new_lines[head]:
        head += 1
    tail = 0
    while tail < limit - head and old_lines[-1 - tail] == new_lines[-1 - tail]:
        tail += 1
    replaced = raw_lines[head : len(raw_lines) - tail]
    ending = _usual_ending(replaced) or _usual_ending(raw_lines) or "\n"
    middle = [
        line[:-1] + ending if line.endswith("\n") else line
        for line in new_lines[head : len(new_lines) - tail]
    ]
    return "".join([*raw_lines[:head], *middle, *raw_lines[len(raw_lines) - tail :]])


def spelled_bytes(before: Spelled | None, new: str) -> bytes:
    """The bytes to write for the edited LF text new, spelled as the file was before."""
    if before is None:
        return new.encode("utf-8")
    text = respell(before.raw, before.text, new)
    return (BOM if before.bom else b"") + text.encode("utf-8")
