"""Edits keep each file's bytes where the change does not reach: endings, BOM, final newline."""

from __future__ import annotations

from pathlib import Path

import pytest

from self_improving_agent.base.models import Change
from self_improving_agent.core.editing import apply_change
from self_improving_agent.core.file_bytes import BOM, respell, split_lines
from tests.conftest import git, make_repo

CRLF_FILE = b"".join(f"line_{n} = {n}\r\n".encode() for n in range(12))


def _repo_with(tmp_path: Path, name: str, data: bytes) -> Path:
    """A repository whose one committed file has exactly these bytes (no autocrlf)."""
    repo = make_repo(tmp_path / "repo")
    git(repo, "config", "core.autocrlf", "false")
    (repo / name).write_bytes(data)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", "add")
    return repo


def _numstat(repo: Path) -> str:
    """Added and removed lines of the uncommitted change, as git counts them."""
    return git(repo, "diff", "--numstat").strip()


def _replace(repo: Path, name: str, anchor: str, content: str) -> None:
    change = Change(file=name, op="replace", anchor=anchor, content=content)
    result = apply_change(repo, change, [])
    assert result.applied, result.error


def test_a_one_line_fix_in_a_crlf_file_is_a_one_line_diff(tmp_path: Path) -> None:
    repo = _repo_with(tmp_path, "mod.py", CRLF_FILE)
    _replace(repo, "mod.py", "line_5 = 5\n", "line_5 = 55\n")
    assert _numstat(repo) == "1\t1\tmod.py"
    assert (repo / "mod.py").read_bytes() == CRLF_FILE.replace(b"line_5 = 5\r", b"line_5 = 55\r")


def test_mixed_endings_bom_and_a_missing_final_newline_are_kept(tmp_path: Path) -> None:
    data = BOM + b"a = 1\r\nb = 2\nc = 3\r\nd = 4"
    repo = _repo_with(tmp_path, "mixed.py", data)
    _replace(repo, "mixed.py", "b = 2", "b = 22")
    assert (repo / "mixed.py").read_bytes() == BOM + b"a = 1\r\nb = 22\nc = 3\r\nd = 4"
    assert _numstat(repo) == "1\t1\tmixed.py"


def test_inserted_lines_take_the_files_ending(tmp_path: Path) -> None:
    repo = _repo_with(tmp_path, "mod.py", CRLF_FILE)
    change = Change(file="mod.py", op="insert_after", anchor="line_2 = 2\n", content="extra = 1\n")
    assert apply_change(repo, change, []).applied
    assert b"line_2 = 2\r\nextra = 1\r\nline_3 = 3\r\n" in (repo / "mod.py").read_bytes()
    assert _numstat(repo) == "1\t0\tmod.py"


def test_a_rolled_back_edit_leaves_the_exact_bytes(tmp_path: Path) -> None:
    repo = _repo_with(tmp_path, "mod.py", BOM + CRLF_FILE)
    change = Change(file="mod.py", op="replace", anchor="line_5 = 5", content="line_5 = (")
    result = apply_change(repo, change, [])
    assert not result.applied and "rolled back" in (result.error or "")
    assert (repo / "mod.py").read_bytes() == BOM + CRLF_FILE


def test_a_file_that_is_not_utf8_is_refused_untouched(tmp_path: Path) -> None:
    data = "name = 'caf\u00e9'\n".encode("latin-1")
    repo = _repo_with(tmp_path, "latin.py", data)
    result = apply_change(repo, Change(file="latin.py", op="append", content="x = 1\n"), [])
    assert not result.applied and "not UTF-8" in (result.error or "")
    assert (repo / "latin.py").read_bytes() == data


@pytest.mark.parametrize(
    ("raw", "new", "expected"),
    [
        ("a\r\nb\r\n", "a\nB\n", "a\r\nB\r\n"),
        ("a\r\nb\nc\r\n", "a\nb\nc\nd\n", "a\r\nb\nc\r\nd\r\n"),
        ("a\nb", "a\nb\n", "a\nb\n"),
        ("a\x0cb\r\nc\r\n", "a\x0cb\nC\n", "a\x0cb\r\nC\r\n"),
        ("", "x\n", "x\n"),
    ],
)
def test_respell_keeps_the_untouched_lines(raw: str, new: str, expected: str) -> None:
    assert respell(raw, raw.replace("\r\n", "\n"), new) == expected


def test_lines_split_only_at_line_feeds() -> None:
    assert split_lines("a\u2028b\rc\nd") == ["a\u2028b\rc\n", "d"]
