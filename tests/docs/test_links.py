"""Every relative link of the manual and the README leads to a file, and its anchor exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.docs_kit import ROOT, anchors, pages, split_code

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def links(path: Path) -> list[str]:
    """The link targets in a page's prose, inline code left out."""
    prose, _ = split_code(path.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`]*`", "", "\n".join(prose))
    return LINK.findall(text)


def broken(page: Path, target: str) -> str | None:
    """Why a relative link does not resolve, or None."""
    if re.match(r"^[a-z]+:", target):
        return None
    file, _, anchor = target.partition("#")
    dest = (page.parent / file).resolve() if file else page
    if not dest.exists():
        return f"{target}: no file {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest}"
    if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
        return f"{target}: no heading with anchor #{anchor}"
    return None


CASES = [(p.relative_to(ROOT).as_posix(), t) for p in pages() for t in links(p)]


def test_there_are_links_to_check() -> None:
    assert len(CASES) > 40


@pytest.mark.parametrize(("page", "target"), CASES)
def test_link_resolves(page: str, target: str) -> None:
    assert broken(ROOT / page, target) is None


def test_a_missing_file_or_anchor_is_caught(tmp_path: Path) -> None:
    page = tmp_path / "a.md"
    page.write_text("# Title\n\n## The `agent run` command\n", encoding="utf-8")
    assert broken(page, "#the-agent-run-command") is None
    assert "no heading" in str(broken(page, "#nope"))
    assert "no file" in str(broken(page, "b.md"))
