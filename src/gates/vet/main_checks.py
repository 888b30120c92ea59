"""The copy of a candidate that main's checks measure: main's tool settings and tests, no new
suppressions. `agent vet --measure` and the generation loop both measure through it."""

from __future__ import annotations

import difflib
import io
import posixpath
import re
import tokenize
from pathlib import Path

from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import git
from self_improving_agent.gates.anti_gaming import SUPPRESSION_NAMES, SUPPRESSION_RE
from self_improving_agent.gates.vet.judge import TOOL_CONFIG_NAMES
from self_improving_agent.gates.vet.model import VetReport
from self_improving_agent.gates.vet.tests_changed import (
    follow_renames,
    is_test_file,
    module_renames,
)
from self_improving_agent.git_ops.changeset import ChangeSet, FileChange

_DECORATOR = re.compile(r"^\s*@\s*(typing\.)?(" + "|".join(SUPPRESSION_NAMES) + r")\b")


def main_checks_files(changes: ChangeSet) -> dict[str, bytes | None]:
    """Path -> bytes to write over the candidate's copy (None: delete) before tools measure it."""
    out: dict[str, bytes | None] = {}
    moves = [(c.old_path, c.path) for c in changes.files if c.old_path and c.old_path != c.path]
    renames = module_renames(moves)
    for fc in changes.files:
        base = posixpath.basename(fc.path.casefold())
        old_base = posixpath.basename((fc.old_path or fc.path).casefold())
        main = _main_version(fc, renames)
        if base in TOOL_CONFIG_NAMES or is_test_file(fc.path):
            out[fc.path] = main if fc.old_path in (None, fc.path) else None
        if (
            fc.old_path
            and fc.old_path != fc.path
            and (old_base in TOOL_CONFIG_NAMES or is_test_file(fc.old_path))
        ):
            out[fc.old_path] = main
        if fc.path in out or fc.after is None or not fc.path.endswith((".py", ".pyi")):
            continue
        stripped = strip_added_suppressions(fc.before, fc.after)
        if stripped != fc.after:
            out[fc.path] = stripped
    return out


def _main_version(fc: FileChange, renames: dict[str, str]) -> bytes | None:
    """Main's bytes of a file; a test module's imports of modules the change moved follow them."""
    if fc.before is None or not renames or not (fc.old_path or fc.path).endswith(".py"):
        return fc.before
    try:
        source = fc.before.decode("utf-8")
    except UnicodeDecodeError:
        return fc.before
    # Rewritten only when it names a moved module: the rewrite drops comments and layout.
    if not any(re.search(rf"\b{re.escape(old)}\b", source) for old in renames):
        return fc.before
    moved = follow_renames(source, renames)
    return fc.before if moved == source else moved.encode("utf-8")


def apply_main_checks(folder: Path, changes: ChangeSet) -> list[str]:
    """Turn folder, a checkout of changes.base, into the change measured by main's checks; the
    paths main's checks replaced."""
    _git(folder, "read-tree", "-u", "--reset", changes.tree)
    replaced = main_checks_files(changes)
    for path, data in replaced.items():
        target = folder / path
        if data is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    # Staged, so that the measurement's file list is the measured copy's.
    _git(folder, "add", "-A")
    return sorted(replaced)


def _git(cwd: Path, *args: str) -> None:
    """Run git quietly; a failure is one sentence."""
    done = git(cwd, *args)
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()
        raise GitError(f"git {args[0]} failed in {cwd}: {last[-1] if last else 'no message'}")


def evidence(changes: ChangeSet, paths: set[str]) -> str:
    """The unified diff of the named files of a change (either path of a move), for a person."""
    parts = []
    for fc in changes.files:
        if fc.path not in paths and fc.old_path not in paths:
            continue
        old = (fc.before or b"").decode("utf-8", "replace").splitlines(keepends=True)
        new = (fc.after or b"").decode("utf-8", "replace").splitlines(keepends=True)
        source = f"a/{fc.old_path or fc.path}" if fc.before is not None else "/dev/null"
        target = f"b/{fc.path}" if fc.after is not None else "/dev/null"
        parts.append("".join(difflib.unified_diff(old, new, source, target)))
    return "\n".join(p if p.endswith("\n") else p + "\n" for p in parts if p)


def held_checks(changes: ChangeSet, report: VetReport) -> str:
    """The diff of the files main's checks replaced that the judgement holds for a person."""
    replaced = set(main_checks_files(changes))
    held = {f.path for f in report.files if f.person} | {
        f.old_path for f in report.files if f.person and f.old_path
    }
    return evidence(changes, replaced & held)


def strip_added_suppressions(before: bytes | None, after: bytes) -> bytes:
    """after with the suppression comments and decorators that before did not have removed."""
    try:
        text = after.decode("utf-8")
        old_lines = set((before or b"").decode("utf-8", "replace").splitlines())
    except UnicodeDecodeError:
        return after
    lines = text.splitlines(keepends=True)
    cuts: dict[int, int] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT and SUPPRESSION_RE.search(tok.string):
                cuts[tok.start[0] - 1] = tok.start[1]
    except (tokenize.TokenError, SyntaxError):
        return after
    out = []
    for index, line in enumerate(lines):
        kept = line[: cuts[index]].rstrip() if index in cuts else None
        if line.rstrip("\r\n") in old_lines:
            out.append(line)
        elif _DECORATOR.match(line) or kept == "":
            # The whole line goes, so the copy counts the lines main's version had.
            continue
        elif kept is not None:
            out.append(kept + line[len(line.rstrip("\r\n")) :])
        else:
            out.append(line)
    return "".join(out).encode("utf-8")
