"""What an edit must pass in a real worktree: valid files, safe paths, every gate, the limits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from self_improving_agent.base.models import Build, Change, EditResult
from self_improving_agent.core.editing import (
    apply_changes,
    count_changed_lines,
    edit_stats,
    files_in_build,
    retry_messages,
    too_many_files,
)
from self_improving_agent.gates.verdict import GateVerdict
from self_improving_agent.gates.write_gates import PathGate
from tests.conftest import git, make_repo
from tests.core.edit_kit import MODULE, apply, edit_worktree, read


@pytest.fixture
def wt(tmp_path: Path) -> Path:
    """A worktree with a Python module, a JSON file, a TOML file and a text file."""
    return edit_worktree(tmp_path / "wt")


def test_invalid_python_is_rolled_back_alone(wt: Path) -> None:
    good, bad, new_bad, after = apply(
        wt,
        Change(file="pkg/mod.py", op="append", content="\nEXTRA = 1\n"),
        Change(file="pkg/mod.py", op="replace", anchor="def part():", content="def part(:"),
        Change(file="deep/new/broken.py", content="def (\n"),
        Change(file="pkg/late.py", content="LATE = 2\n"),
    )
    assert good.applied and after.applied
    assert (
        not bad.applied
        and "invalid Python" in (bad.error or "")
        and "rolled back" in (bad.error or "")
    )
    assert read(wt, "pkg/mod.py") == MODULE + "\nEXTRA = 1\n"
    assert not new_bad.applied and not (wt / "deep").exists()
    assert read(wt, "pkg/late.py") == "LATE = 2\n"


@pytest.mark.parametrize(
    ("rel", "content", "kind"),
    [("data.json", '{"a": 1,}\n', "JSON"), ("conf.toml", "name = \n", "TOML")],
)
def test_json_and_toml_are_checked(wt: Path, rel: str, content: str, kind: str) -> None:
    before = read(wt, rel)
    (result,) = apply(wt, Change(file=rel, content=content))
    assert not result.applied and f"invalid {kind}" in (result.error or "")
    assert read(wt, rel) == before


def test_valid_json_and_toml_are_kept(wt: Path) -> None:
    results = apply(
        wt,
        Change(file="data.json", content='{"a": 2}\n'),
        Change(file="conf.toml", content='name = "y"\n'),
    )
    assert all(r.applied for r in results)


def test_symlink_out_of_the_worktree_is_refused(wt: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.py").write_text("V = 1\n", encoding="utf-8")
    (wt / "link").symlink_to(outside, target_is_directory=True)
    (wt / "alias.py").symlink_to(outside / "victim.py")
    through_dir, through_file = apply(
        wt,
        Change(file="link/planted.py", content="P = 1\n"),
        Change(file="alias.py", content="V = 2\n"),
    )
    assert not through_dir.applied and "outside the worktree" in (through_dir.error or "")
    assert not through_file.applied
    assert not (outside / "planted.py").exists()
    assert (outside / "victim.py").read_text(encoding="utf-8") == "V = 1\n"


@pytest.mark.parametrize(
    ("rel", "message"),
    [
        (".git/config", ".git/"),
        ("sub/.GIT/hooks/pre-commit", ".git/"),
        ("/etc/passwd", "absolute"),
        ("../escape.py", "outside the worktree"),
        ("pkg", "directory"),
        ("  ", "empty"),
    ],
)
def test_paths_outside_or_into_git_are_refused(wt: Path, rel: str, message: str) -> None:
    config = (wt / ".git" / "config").read_text(encoding="utf-8")
    (result,) = apply(wt, Change(file=rel, content="x\n"))
    assert not result.applied and message in (result.error or "")
    assert (wt / ".git" / "config").read_text(encoding="utf-8") == config
    assert not (wt.parent / "escape.py").exists()


class Recording:
    """A gate that records what it was asked and answers as told."""

    name = "recording"

    def __init__(self, allow: bool) -> None:
        self.allow = allow
        self.calls: list[tuple[str, str, bool, int]] = []

    def check(self, path: str, content: str, *, new_file: bool, lines_changed: int) -> GateVerdict:
        """Record the question; allow or refuse."""
        self.calls.append((path, content, new_file, lines_changed))
        reasons = [] if self.allow else ["too risky"]
        return GateVerdict(allowed=self.allow, reasons=reasons, gate=self.name)


class Exploding:
    """A gate that fails while checking."""

    name = "exploding"

    def check(self, path: str, content: str, *, new_file: bool, lines_changed: int) -> GateVerdict:
        """Raise instead of answering."""
        raise RuntimeError("policy engine down")


def test_every_gate_sees_the_final_content_and_all_must_allow(wt: Path) -> None:
    yes, no = Recording(allow=True), Recording(allow=False)
    no.name = "cedar"
    (result,) = apply_changes(
        wt, [Change(file="pkg/mod.py", op="append", content="Q = 1\n")], [yes, no]
    )
    assert not result.applied
    assert result.error == "refused by gate 'cedar': too risky"
    assert yes.calls == [("pkg/mod.py", MODULE + "Q = 1\n", False, 1)]
    assert read(wt, "pkg/mod.py") == MODULE


def test_a_gate_that_raises_denies(wt: Path) -> None:
    (result,) = apply_changes(wt, [Change(file="new.py", content="N = 1\n")], [Exploding()])
    assert not result.applied and "'exploding': it failed (policy engine down)" in (
        result.error or ""
    )
    assert not (wt / "new.py").exists()


def test_gates_are_told_about_new_files(wt: Path) -> None:
    gate = Recording(allow=True)
    apply_changes(wt, [Change(file="brand_new.py", content="A = 1\nB = 2\n")], [gate])
    assert gate.calls == [("brand_new.py", "A = 1\nB = 2\n", True, 2)]


def test_path_gate_blocks_secret_file_names(wt: Path) -> None:
    gate = PathGate(wt, [".env*", "*.pem"])
    assert not gate.check(".env.local", "K=v", new_file=True, lines_changed=1).allowed
    assert not gate.check("certs/server.PEM", "x", new_file=True, lines_changed=1).allowed
    verdict = gate.check("src/app.py", "x", new_file=True, lines_changed=1)
    assert verdict.allowed and verdict.gate == "path" and verdict.reasons == []


def test_path_gate_refuses_writes_into_another_repository(wt: Path, tmp_path: Path) -> None:
    sub = make_repo(tmp_path / "sub", {"calc/core.py": "X = 1\n"})
    # Registered but not checked out, as in an agent worktree; and a nested repository.
    git(
        wt,
        "update-index",
        "--add",
        "--cacheinfo",
        f"160000,{git(sub, 'rev-parse', 'HEAD').strip()},vendor/sub",
    )
    make_repo(wt / "nested", {"a.py": "A = 1\n"})
    gate = PathGate(wt)
    for path in ("vendor/sub/calc/core.py", "nested/a.py", "nested/deep/b.py"):
        verdict = gate.check(path, "x", new_file=True, lines_changed=1)
        assert not verdict.allowed and "another repository" in verdict.reasons[0], path
    assert gate.check("vendor/other.py", "x", new_file=True, lines_changed=1).allowed


def test_counting_changed_lines_of_a_huge_repetitive_reply_is_fast() -> None:
    old = "".join(f"line {n}\n" for n in range(3000))
    new = "\n" * 1_000_000
    # CPU time, so a loaded machine cannot fail it; a quadratic count would take hours.
    started = time.process_time()
    assert count_changed_lines(old, new) == 3000 + 1_000_000
    assert time.process_time() - started < 5


def test_non_utf8_file_cannot_be_edited(wt: Path) -> None:
    (wt / "blob.txt").write_bytes(b"\xff\xfe\x00binary")
    (result,) = apply(wt, Change(file="blob.txt", op="append", content="x"))
    assert not result.applied and "not UTF-8" in (result.error or "")


def test_counts_and_stats() -> None:
    assert count_changed_lines("a\nb\nc\n", "a\nB\nc\nd\n") == 3
    results = [
        EditResult(file="a.py", op="write", applied=True, lines_changed=3),
        EditResult(file="b.py", op="replace", applied=False, error="b.py: anchor"),
    ]
    assert edit_stats(results) == {"total_edits": 2, "failed_edits": 1, "edit_success_rate": 0.5}
    assert edit_stats([]) == {"total_edits": 0, "failed_edits": 0, "edit_success_rate": 0.0}
    assert retry_messages(results) == ["replace b.py failed: b.py: anchor"]


def test_build_file_limit() -> None:
    build = Build(
        changes=[
            Change(file="a.py", content=""),
            Change(file="./a.py", op="append", content="x"),
            Change(file="pkg/b.py", content=""),
        ]
    )
    assert files_in_build(build) == {"a.py", "pkg/b.py"}
    assert too_many_files(build, 2) is None
    reason = too_many_files(build, 1)
    assert (
        reason is not None and "touches 2 files" in reason and "max_files_per_generation" in reason
    )


def test_a_write_git_would_never_commit_is_refused_not_reported_applied(wt: Path) -> None:
    (wt / ".gitignore").write_text("build/\n*.log\n", encoding="utf-8")
    (wt / "kept.log").write_text("tracked before the rule\n", encoding="utf-8")
    git(wt, "add", "-f", "kept.log")
    ignored, tracked, plain = apply_changes(
        wt,
        [
            Change(file="build/out.py", content="X = 1\n"),
            Change(file="kept.log", op="append", content="more\n"),
            Change(file="pkg/new.py", content="Y = 2\n"),
        ],
        [],
    )
    assert not ignored.applied
    assert ignored.error == (
        "refused by gate 'path': build/out.py: git ignores this path, "
        "so the change would never be committed"
    )
    assert not (wt / "build").exists()
    assert tracked.applied and plain.applied
