"""Apply the Builder's targeted edits in a worktree, one at a time, behind per-write gates."""

from __future__ import annotations

import difflib
import json
import posixpath
import tomllib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from self_improving_agent.base.errors import EditFailure
from self_improving_agent.base.limits import MAX_EDITS_PER_FILE, MAX_FILE_BYTES
from self_improving_agent.base.models import Build, Change, EditResult
from self_improving_agent.base.pysource import parse_source, source_text
from self_improving_agent.benchmarks.python_versions import lowest_for, version_problem
from self_improving_agent.core.file_bytes import Spelled, read_spelled, spelled_bytes
from self_improving_agent.gates.verdict import WriteGate
from self_improving_agent.gates.write_gates import PathGate, path_problem, refusals

# A multi-line anchor is compared as a window of this many lines at most.
MAX_WINDOW_LINES = 5
NEAREST_SHOWN = 3
NEAREST_CUTOFF = 0.4


def count_changed_lines(old: str, new: str) -> int:
    """Added plus removed lines between two texts, in time linear in their length."""
    # A line diff is quadratic on repetitive input (a reply of a million blank lines). Counting
    # how often each line occurs on either side gives the same figure for additions, removals
    # and replacements; only a moved block counts as unchanged.
    before, after = Counter(old.splitlines()), Counter(new.splitlines())
    return sum(((before - after) + (after - before)).values())


def _line_of(text: str, index: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, index) + 1


def _occurrences(text: str, anchor: str) -> list[int]:
    """Start offsets of every occurrence of anchor, overlapping ones included."""
    found, start = [], text.find(anchor)
    while start != -1:
        found.append(start)
        start = text.find(anchor, start + 1)
    return found


def nearest_lines(text: str, anchor: str) -> list[tuple[int, str]]:
    """Up to three (line number, text) windows of text that look most like the anchor."""
    lines = text.splitlines()
    wanted = [line.strip() for line in anchor.strip().splitlines()][:MAX_WINDOW_LINES] or [""]
    size = len(wanted)
    probe = "\n".join(wanted)
    scored: list[tuple[float, int]] = []
    for start in range(max(len(lines) - size + 1, 0)):
        window = "\n".join(line.strip() for line in lines[start : start + size])
        matcher = difflib.SequenceMatcher(None, probe, window, autojunk=False)
        if matcher.real_quick_ratio() < NEAREST_CUTOFF or matcher.quick_ratio() < NEAREST_CUTOFF:
            continue
        ratio = matcher.ratio()
        if ratio >= NEAREST_CUTOFF:
            scored.append((ratio, start))
    best = sorted(scored, key=lambda item: (-item[0], item[1]))[:NEAREST_SHOWN]
    return [(start + 1, "\n".join(lines[start : start + size])) for _, start in best]


def _anchor_offset(text: str, anchor: str, path: str) -> int:
    """Where the one occurrence of anchor starts, or an EditFailure that helps fix the anchor."""
    found = _occurrences(text, anchor)
    if len(found) == 1:
        return found[0]
    if found:
        where = ", ".join(str(_line_of(text, i)) for i in found)
        raise EditFailure(
            f"{path}: the anchor occurs {len(found)} times (lines {where}); "
            "include more surrounding lines so it occurs exactly once"
        )
    near = nearest_lines(text, anchor)
    if not near:
        raise EditFailure(f"{path}: the anchor was not found and no line resembles it")
    shown = "\n".join(
        f"  {number + k}: {line}"
        for number, window in near
        for k, line in enumerate(window.splitlines())
    )
    raise EditFailure(
        f"{path}: the anchor was not found; copy it exactly from the file. Nearest lines:\n{shown}"
    )


def _with_newline(content: str) -> str:
    """Content that ends with a newline, so an inserted block stays on its own lines."""
    return content if content.endswith("\n") or not content else content + "\n"


def _insert(text: str, anchor: str, content: str, after: bool, path: str) -> str:
    """Insert content next to the anchor; whole-line anchors get whole-line insertions."""
    start = _anchor_offset(text, anchor, path)
    end = start + len(anchor)
    if not after:
        at_line_start = start == 0 or text[start - 1] == "\n"
        block = _with_newline(content) if at_line_start else content
        return text[:start] + block + text[start:]
    if end == len(text) and not anchor.endswith("\n"):
        return text + "\n" + _with_newline(content)
    if anchor.endswith("\n") or text[end] == "\n":
        line_end = end if anchor.endswith("\n") else end + 1
        return text[:line_end] + _with_newline(content) + text[line_end:]
    return text[:end] + content + text[end:]


def new_content(change: Change, old: str | None) -> str:
    """The file text after change, given the current text (None when the file does not exist)."""
    path, op, content = change.file, change.op, change.content
    if op is None:
        return content
    if op == "create":
        if old is not None:
            raise EditFailure(f"{path}: create needs a new file but it exists; use replace")
        return content
    if old is None:
        raise EditFailure(f"{path}: {op} needs an existing file but it does not exist; use create")
    if op == "append":
        return old + ("" if not old or old.endswith("\n") else "\n") + content
    if op == "prepend":
        return _with_newline(content) + old
    anchor = change.anchor
    if not anchor:
        raise EditFailure(f"{path}: {op} needs an anchor: exact text that occurs once in the file")
    if op == "replace":
        start = _anchor_offset(old, anchor, path)
        return old[:start] + content + old[start + len(anchor) :]
    return _insert(old, anchor, content, op == "insert_after", path)


def syntax_problem(path: str, text: str) -> str | None:
    """Why the text is not a valid file of its kind (Python, JSON, TOML), or None."""
    suffix = posixpath.splitext(path)[1].lower()
    try:
        if suffix in (".py", ".pyi"):
            parse_source(text, filename=path)
        elif suffix == ".json":
            json.loads(text)
        elif suffix == ".toml":
            tomllib.loads(text)
    except SyntaxError as exc:
        return f"{path}: invalid Python after the edit (line {exc.lineno}: {exc.msg})"
    except ValueError as exc:  # JSON, TOML, and NUL bytes in Python source on 3.11
        kind = {".json": "JSON", ".toml": "TOML"}.get(suffix, "Python")
        return f"{path}: invalid {kind} after the edit ({exc})"
    return None


def _write(target: Path, data: bytes) -> list[Path]:
    """Write the bytes, returning the directories created on the way (deepest last)."""
    created = [p for p in reversed(target.parents) if not p.exists()]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return created


def _roll_back(target: Path, before: Spelled | None, created: list[Path]) -> None:
    """Restore the old bytes, or delete a new file and the folders made for it."""
    if before is not None:
        target.write_bytes(before.data)
        return
    target.unlink(missing_ok=True)
    for folder in reversed(created):
        if not any(folder.iterdir()):
            folder.rmdir()


def apply_change(worktree: Path, change: Change, gates: Sequence[WriteGate]) -> EditResult:
    """Apply one change behind the path gate and every given gate, rolling it back if invalid."""
    op = change.op or "write"
    path = change.file
    problem = path_problem(worktree, path)
    if problem is not None:
        return EditResult(file=path, op=op, applied=False, error=f"{path}: {problem}")
    target = worktree.resolve() / path
    try:
        before = read_spelled(target, path)
        # The edit works on LF text; the file's own endings, BOM and final newline come back
        # wherever the edit does not reach.
        old = None if before is None else before.text
        text = new_content(change, old)
        if old is not None:
            text = text.replace("\r\n", "\n")
        if before is not None and before.bom:
            # Text read with its BOM comes back without it: the file's own BOM is kept once.
            text = source_text(text)
    except EditFailure as exc:
        return EditResult(file=path, op=op, applied=False, error=str(exc))
    if text == old:
        return EditResult(
            file=path, op=op, applied=False, error=f"{path}: the edit changes nothing"
        )
    if len(text) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return EditResult(
            file=path,
            op=op,
            applied=False,
            error=f"{path}: the result would be {len(text):,} characters; the limit is {limit} MB",
        )
    lines = count_changed_lines(old or "", text)
    refused = refusals(gates, path, text, old is None, lines)
    if refused:
        return EditResult(file=path, op=op, applied=False, error="; ".join(refused))
    created = _write(target, spelled_bytes(before, text))
    invalid = syntax_problem(path, text)
    if invalid is None and path.endswith(".py"):
        # What is written must run on the lowest Python the project supports.
        invalid = version_problem(path, text, lowest_for(worktree, path))
    if invalid is not None:
        _roll_back(target, before, created)
        return EditResult(file=path, op=op, applied=False, error=f"{invalid}; rolled back")
    return EditResult(file=path, op=op, applied=True, lines_changed=lines)


def apply_changes(
    worktree: Path, changes: Sequence[Change], gates: Sequence[WriteGate]
) -> list[EditResult]:
    """Apply changes in order; each one succeeds or leaves its file exactly as it was."""
    all_gates: list[WriteGate] = [PathGate(worktree), *gates]
    return [apply_change(worktree, change, all_gates) for change in changes]


def edit_stats(results: Sequence[EditResult]) -> dict[str, int | float]:
    """total_edits, failed_edits and edit_success_rate (0.0 when there were no edits)."""
    total = len(results)
    failed = sum(1 for r in results if not r.applied)
    rate = (total - failed) / total if total else 0.0
    return {"total_edits": total, "failed_edits": failed, "edit_success_rate": rate}


def retry_messages(results: Sequence[EditResult]) -> list[str]:
    """The failed edits' messages, as the Builder's one retry receives them."""
    return [f"{r.op} {r.file} failed: {r.error}" for r in results if not r.applied]


def files_in_build(build: Build) -> set[str]:
    """The normalised repo-relative paths a build touches."""
    return {posixpath.normpath(change.file.strip()) for change in build.changes}


def too_many_edits(build: Build) -> str | None:
    """Why the build is rejected for editing one file too often, or None."""
    counts = Counter(posixpath.normpath(change.file.strip()) for change in build.changes)
    if not counts:
        return None
    path, count = counts.most_common(1)[0]
    if count <= MAX_EDITS_PER_FILE:
        return None
    return (
        f"the build edits {path} {count} times; the limit is {MAX_EDITS_PER_FILE} edits per file, "
        "so write the file whole in one change"
    )


def too_many_files(build: Build, max_files: int) -> str | None:
    """Why the build is rejected for touching too many files, or None."""
    count = len(files_in_build(build))
    if count <= max_files:
        return None
    return (
        f"the build touches {count} files, more than safety.max_files_per_generation = "
        f"{max_files}; plan a smaller change"
    )
