"""Markdown headings and the anchors MkDocs gives them, for checking links without a build."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

FENCE = re.compile(r"^(```|~~~)")
HEADING = re.compile(r"^(#{1,6}) +(.+?) *#*$")


def split_code(text: str) -> tuple[list[str], list[str]]:
    """(prose lines, lines inside fenced code blocks) of a page."""
    prose: list[str] = []
    code: list[str] = []
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
            continue
        (code if fenced else prose).append(line)
    return prose, code


def headings(text: str) -> list[tuple[int, str]]:
    """(level, text) of every heading outside code blocks."""
    prose, _ = split_code(text)
    return [(len(m.group(1)), m.group(2)) for line in prose if (m := HEADING.match(line))]


def slug(heading: str) -> str:
    """The anchor Python-Markdown's toc extension, as MkDocs runs it, gives a heading."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a page."""
    return {slug(text) for _, text in headings(path.read_text(encoding="utf-8"))}
