"""The map's text: code modules ranked by use with signatures, then tests, the rest as counts."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Literal

from self_improving_agent.analysis.references import Module, rank_modules

Kind = Literal["code", "test", "other"]
Level = Literal["bare", "names", "full"]

TEST_DIRS = frozenset({"tests", "test", "testing"})
# Python that is documentation or machine-written says little about the code to change.
DOC_DIRS = frozenset({"docs", "doc"})
GENERATED_SUFFIXES = ("_pb2.py", "_pb2_grpc.py")
GENERATED_NAMES = frozenset({"_version.py", "version.py"})
MAX_SYMBOLS = 16
MAX_SIGNATURES = 6
# At most this share of the budget goes to data, docs and other non-Python files.
OTHER_SHARE = 0.25
NAMED_BELOW = 4
TRUNCATED = "... (map truncated to fit the token budget)"
HEADER_ROOM = 200


def kind(path: str) -> Kind:
    """Whether a tracked file is code to plan with, a test, or anything else."""
    parts = PurePosixPath(path).parts
    name = parts[-1]
    if not name.endswith(".py") or DOC_DIRS.intersection(parts[:-1]):
        return "other"
    if name.endswith(GENERATED_SUFFIXES) or name in GENERATED_NAMES:
        return "other"
    tests = TEST_DIRS.intersection(parts[:-1])
    if tests or name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return "test"
    return "code"


def _label(module: Module) -> str:
    """The module's path and, when other files import it, how many."""
    users = len(module.importers)
    return f"{module.path} (used by {users})" if users else module.path


def block(module: Module, level: Level) -> list[str]:
    """A module's lines at one level of detail: its path, its symbol names, or signatures."""
    symbols = module.symbols[:MAX_SYMBOLS]
    more = len(module.symbols) - len(symbols)
    if level == "bare" or not symbols:
        return [_label(module)]
    if level == "names":
        names = ", ".join(s.name for s in symbols) + (f", +{more}" if more else "")
        return [f"{_label(module)}: {names}"]
    rest = [s.name for s in symbols[MAX_SIGNATURES:]] + ([f"+{more}"] if more else [])
    tail = [f"  also: {', '.join(rest)}"] if rest else []
    return [_label(module), *(f"  {s.line}" for s in symbols[:MAX_SIGNATURES]), *tail]


def _size(lines: Sequence[str]) -> int:
    """Characters of the lines joined by newlines, counting one newline each."""
    return sum(len(line) + 1 for line in lines)


def _folder_line(folder: str, names: Sequence[str]) -> str:
    """`folder/: a, b` for a few files, else `folder/: 64 files (.yaml 60, .md 4)`."""
    if len(names) < NAMED_BELOW:
        return f"  {folder}/: {', '.join(sorted(PurePosixPath(n).name for n in names))}"
    suffixes = Counter(PurePosixPath(n).suffix or "(none)" for n in names).most_common(3)
    kinds = ", ".join(f"{s} {c}" for s, c in suffixes)
    return f"  {folder}/: {len(names)} files ({kinds})"


def other_lines(others: Sequence[str], budget_chars: int) -> list[str]:
    """Non-code files summarised by folder, then by top folder, then as one count, to fit."""
    if not others:
        return []
    for depth in (None, 1):
        groups: dict[str, list[str]] = defaultdict(list)
        for path in others:
            parent = PurePosixPath(path).parent.parts
            groups["/".join(parent[:depth]) or "."].append(path)
        lines = ["Other files (data, docs, config):"]
        lines += [_folder_line(f, groups[f]) for f in sorted(groups)]
        if _size(lines) <= budget_chars:
            return lines
    return [f"Other files: {len(others)} (data, docs, config)"]


def _header(total: int, code: int, tests: int, others: int, levels: Counter[str]) -> str:
    """The first line: counts, and how much detail fitted."""
    text = (
        f"Repository map: {total} tracked files; {code} Python modules (most used first), "
        f"{tests} test modules, {others} other files"
    )
    if code and levels["full"] < code:
        text += f" (signatures for {levels['full']} modules, names for {levels['names']})"
    return text


def folder_lines(title: str, modules: Sequence[Module], named: bool) -> list[str]:
    """Modules by folder, in the given order: their file names, or only how many there are."""
    groups: dict[str, list[str]] = defaultdict(list)
    for module in modules:
        path = PurePosixPath(module.path)
        groups[str(path.parent)].append(path.name)
    lines = [title] if groups else []
    for folder in sorted(groups):
        names = groups[folder]
        shown = ", ".join(names) if named else f"{len(names)} files"
        lines.append(f"  {'.' if folder == '.' else folder}/: {shown}")
    return lines


def _choose(code: Sequence[Module], room: int) -> dict[str, Level]:
    """Signatures (or names) for code modules in rank order while they fit in room."""
    levels: dict[str, Level] = {}
    used = 0
    for module in code:
        if not module.symbols:
            continue
        # Shown in detail, a module leaves the by-folder list: about its name and a comma.
        saved = len(PurePosixPath(module.path).name) + 2
        for level in ("full", "names"):
            extra = _size(block(module, level)) - saved
            if used + extra <= room:
                levels[module.path] = level
                used += extra
                break
    return levels


def render(files: Sequence[str], modules: Mapping[str, Module | None], token_budget: int) -> str:
    """The most useful map of the files within token_budget; modules are parsed sources, pure."""
    budget = token_budget * 4
    parsed = {p: m for p, m in modules.items() if m is not None}
    unparsed = [Module(p, [], set(), set()) for p, m in sorted(modules.items()) if m is None]
    order = rank_modules(parsed) + unparsed
    code = [m for m in order if kind(m.path) == "code"]
    tests = [m for m in order if kind(m.path) == "test"]
    others = [f for f in files if kind(f) == "other"]
    tail = other_lines(others, int(budget * OTHER_SHARE))
    test_counts = folder_lines("Tests:", tests, named=False)
    room = budget - HEADER_ROOM - _size(tail) - _size(test_counts) - len(TRUNCATED)
    rest_title = "Other Python modules (most used first):"
    named_rest = folder_lines(rest_title, code, named=True)
    rest_named = _size(named_rest) <= room
    levels = _choose(code, room - _size(named_rest)) if rest_named else {}
    rest = [m for m in code if m.path not in levels]
    body = [line for m in code if m.path in levels for line in block(m, levels[m.path])]
    body += folder_lines(rest_title, rest, named=rest_named)
    named_tests = folder_lines("Tests:", tests, named=True)
    spare = room - _size(body) - _size(named_tests) + _size(test_counts)
    body += named_tests if spare >= 0 else test_counts
    counts: Counter[str] = Counter(levels.values())
    head = _header(len(files), len(code), len(tests), len(others), counts)
    text = "\n".join([head, *body, *tail])
    if len(text) <= budget:
        return text
    cut = max(budget - len(TRUNCATED) - 1, 0)
    return (text[:cut].rsplit("\n", 1)[0] + "\n" + TRUNCATED)[:budget]
