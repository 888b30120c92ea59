"""Targeted edits applied in a real worktree: every op, every failure, per-file rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

from self_improving_agent.base.models import Change
from self_improving_agent.core.editing import (
    nearest_lines,
)
from tests.core.edit_kit import MODULE, apply, edit_worktree, read


@pytest.fixture
def wt(tmp_path: Path) -> Path:
    """A worktree with a Python module, a JSON file, a TOML file and a text file."""
    return edit_worktree(tmp_path / "wt")


def test_whole_file_write_creates_and_overwrites(wt: Path) -> None:
    new, over = apply(
        wt,
        Change(file="pkg/new/fresh.py", content="X = 1\n"),
        Change(file="notes.txt", content="alpha\ngamma\n"),
    )
    assert new.applied and new.op == "write" and new.lines_changed == 1
    assert read(wt, "pkg/new/fresh.py") == "X = 1\n"
    assert over.applied and over.lines_changed == 2
    assert read(wt, "notes.txt") == "alpha\ngamma\n"


def test_create_only_makes_new_files(wt: Path) -> None:
    made, clash = apply(
        wt,
        Change(file="pkg/other.py", op="create", content="Y = 2\n"),
        Change(file="pkg/mod.py", op="create", content="Z = 3\n"),
    )
    assert made.applied and read(wt, "pkg/other.py") == "Y = 2\n"
    assert not clash.applied and "exists" in (clash.error or "")
    assert read(wt, "pkg/mod.py") == MODULE


def test_replace_a_unique_anchor(wt: Path) -> None:
    (result,) = apply(
        wt,
        Change(file="pkg/mod.py", op="replace", anchor='"hi " + name', content='f"hello {name}"'),
    )
    assert result.applied and result.lines_changed == 2
    assert 'return f"hello {name}"' in read(wt, "pkg/mod.py")


def test_missing_anchor_shows_the_nearest_lines_with_numbers(wt: Path) -> None:
    (result,) = apply(
        wt,
        Change(file="pkg/mod.py", op="replace", anchor="def greet(nme):", content="def g():"),
    )
    assert not result.applied
    assert "anchor was not found" in (result.error or "")
    assert "1: def greet(name):" in (result.error or "")
    assert read(wt, "pkg/mod.py") == MODULE


def test_missing_anchor_with_nothing_alike_says_so(wt: Path) -> None:
    (result,) = apply(
        wt, Change(file="pkg/mod.py", op="insert_after", anchor="zzzzqqqq", content="x = 1")
    )
    assert "no line resembles it" in (result.error or "")


def test_ambiguous_anchor_lists_every_occurrence(wt: Path) -> None:
    (result,) = apply(
        wt, Change(file="pkg/mod.py", op="replace", anchor="    return", content="    yield")
    )
    assert not result.applied
    assert "occurs 2 times (lines 2, 6)" in (result.error or "")


def test_nearest_lines_compares_multi_line_windows() -> None:
    text = "a = 1\ndef f(x):\n    return x + 1\nb = 2\n"
    near = nearest_lines(text, "def f(y):\n    return y + 1\n")
    assert near[0] == (2, "def f(x):\n    return x + 1")


def test_insert_after_whole_line_anchor(wt: Path) -> None:
    (result,) = apply(
        wt,
        Change(
            file="pkg/mod.py",
            op="insert_after",
            anchor='    return "hi " + name',
            content="\n\nGREETING = 1",
        ),
    )
    assert result.applied
    assert '    return "hi " + name\n\n\nGREETING = 1\n\n\ndef part' in read(wt, "pkg/mod.py")


def test_insert_after_anchor_with_newline_and_mid_line(wt: Path) -> None:
    first, second = apply(
        wt,
        Change(file="notes.txt", op="insert_after", anchor="alpha\n", content="middle"),
        Change(file="notes.txt", op="insert_after", anchor="bet", content="-X-"),
    )
    assert first.applied and second.applied
    assert read(wt, "notes.txt") == "alpha\nmiddle\nbet-X-a"


def test_insert_after_anchor_at_end_without_newline(wt: Path) -> None:
    (result,) = apply(wt, Change(file="notes.txt", op="insert_after", anchor="beta", content="z"))
    assert result.applied and read(wt, "notes.txt") == "alpha\nbeta\nz\n"


def test_insert_before_line_and_mid_line(wt: Path) -> None:
    first, second = apply(
        wt,
        Change(file="pkg/mod.py", op="insert_before", anchor="def part", content="# why"),
        Change(file="notes.txt", op="insert_before", anchor="eta", content="-"),
    )
    assert first.applied and "# why\ndef part():" in read(wt, "pkg/mod.py")
    assert second.applied and read(wt, "notes.txt") == "alpha\nb-eta"


def test_append_and_prepend(wt: Path) -> None:
    end, start = apply(
        wt,
        Change(file="notes.txt", op="append", content="gamma\n"),
        Change(file="notes.txt", op="prepend", content="zero"),
    )
    assert end.applied and start.applied
    assert read(wt, "notes.txt") == "zero\nalpha\nbeta\ngamma\n"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (Change(file="nope.py", op="append", content="x"), "does not exist; use create"),
        (Change(file="pkg/mod.py", op="replace", content="x"), "needs an anchor"),
        (Change(file="pkg/mod.py", content=MODULE), "changes nothing"),
    ],
)
def test_unusable_changes_fail_with_a_hint(wt: Path, change: Change, message: str) -> None:
    (result,) = apply(wt, change)
    assert not result.applied and message in (result.error or "")
    assert not (wt / "nope.py").exists()
