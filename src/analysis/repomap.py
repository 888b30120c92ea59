"""What the personas may see of a repository: a compact map and the planned files, no secrets."""

from __future__ import annotations

import ast
import copy
import fnmatch
import math
import re
import subprocess
from collections import Counter
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import structlog

from src.base.errors import RepoMapError

log = structlog.get_logger(__name__)

MAX_PLANNED_FILE_BYTES = 128 * 1024
# Larger sources are listed without symbols: parsing them costs more than they add to a map.
MAX_PARSED_BYTES = 512 * 1024
MAX_SIGNATURE_CHARS = 120
MAX_METHODS = 12
MIN_SECRET_VALUE = 20
MIN_SECRET_ENTROPY = 3.5

_SECRET_PATTERNS = (
    re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"sk-ant-[A-Za-z0-9_-]{8,}"),
    re.compile(r"\bghp_[A-Za-z0-9]{20,}"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
)
_SECRET_NAME = r"\w*(?:_key|_token|_secret|password|passwd)"
_ASSIGNMENTS = (
    re.compile(
        rf"(?i)\b{_SECRET_NAME}\b[\"']?\s*[:=]\s*[\"']([A-Za-z0-9+/=_.\-]{{{MIN_SECRET_VALUE},}})[\"']"
    ),
    re.compile(
        rf"(?im)^\s*(?:export\s+)?{_SECRET_NAME}\s*=\s*([A-Za-z0-9+/=_.\-]{{{MIN_SECRET_VALUE},}})\s*$"
    ),
)
REDACTED = "***"


def is_blocked(path: str, patterns: Sequence[str]) -> bool:
    """Whether the file's name (or its whole path) matches a blocked glob, case-insensitively."""
    name = PurePosixPath(path).name.lower()
    whole = path.lower()
    return any(
        fnmatch.fnmatchcase(name, p.lower()) or fnmatch.fnmatchcase(whole, p.lower())
        for p in patterns
    )


def _entropy(value: str) -> float:
    """Shannon entropy of a string in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _random_looking(value: str) -> bool:
    """Whether an assigned value looks like a generated credential rather than a word."""
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    return has_digit and has_alpha and _entropy(value) >= MIN_SECRET_ENTROPY


def _secret_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of text that hold secret-like values."""
    spans = [m.span() for p in _SECRET_PATTERNS for m in p.finditer(text)]
    for pattern in _ASSIGNMENTS:
        spans += [m.span(1) for m in pattern.finditer(text) if _random_looking(m.group(1))]
    return spans


def looks_secret(text: str) -> bool:
    """Whether text holds a private key, a known token format or a random value for a key name."""
    return bool(_secret_spans(text))


def redact_secrets(text: str) -> str:
    """Text with every secret-like value replaced by ***."""
    for start, end in sorted(_secret_spans(text), reverse=True):
        text = text[:start] + REDACTED + text[end:]
    return text


def tracked_files(repo: Path) -> list[str]:
    """The repository's tracked files that exist on disk, sorted."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), "ls-files", "-z"], capture_output=True, check=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise RepoMapError(
            f"{repo}: cannot list tracked files ({exc}); is it a git repository?"
        ) from None
    names = proc.stdout.decode("utf-8", errors="replace").split("\0")
    return sorted(n for n in names if n and (repo / n).is_file())


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """`def name(args) -> ret` with default values shown as ..., so no value leaks."""
    args = copy.deepcopy(node.args)
    args.defaults = [ast.Constant(...) for _ in args.defaults]
    args.kw_defaults = [None if d is None else ast.Constant(...) for d in args.kw_defaults]
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    text = f"{prefix} {node.name}({ast.unparse(args)})"
    if node.returns is not None:
        text += f" -> {ast.unparse(node.returns)}"
    return text if len(text) <= MAX_SIGNATURE_CHARS else text[: MAX_SIGNATURE_CHARS - 3] + "..."


def _class_line(node: ast.ClassDef, with_bases: bool) -> str:
    """`class Name(bases): public methods`."""
    bases = ", ".join(ast.unparse(b) for b in node.bases)
    head = f"class {node.name}({bases})" if with_bases and bases else f"class {node.name}"
    methods = [
        item.name
        for item in node.body
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
        and not item.name.startswith("_")
    ]
    if len(methods) > MAX_METHODS:
        methods = [*methods[:MAX_METHODS], f"+{len(methods) - MAX_METHODS}"]
    return f"{head}: {', '.join(methods)}" if methods else head


class Symbols:
    """A Python file's public top-level classes and functions, in two levels of detail."""

    def __init__(self, tree: ast.Module) -> None:
        self.full: list[str] = []
        self.names: list[str] = []
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                self.full.append(_class_line(node, with_bases=True))
                self.names.append(f"class {node.name}")
            elif isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef
            ) and not node.name.startswith("_"):
                self.full.append(_signature(node))
                self.names.append(node.name)


def python_symbols(path: Path) -> Symbols | None:
    """The symbols of a Python source file, parsed without importing it; None if unreadable."""
    try:
        if path.stat().st_size > MAX_PARSED_BYTES:
            return None
        return Symbols(ast.parse(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None


def _is_test(path: str) -> bool:
    """Whether a path belongs to the tests, whose symbols matter least to a plan."""
    parts = PurePosixPath(path).parts
    name = parts[-1]
    return (
        any(p in ("tests", "test") for p in parts[:-1])
        or name.startswith("test_")
        or name == "conftest.py"
    )


# Room kept for the header line, whose counts are only known once the detail is chosen.
HEADER_RESERVE = 120
# Symbols are added in this order while the budget lasts: the source matters more than tests.
UPGRADES = ((False, "names"), (False, "full"), (True, "names"), (True, "full"))


def _file_lines(name: str, found: Symbols | None, level: str) -> list[str]:
    """A file's lines in the map: its name, its symbol names, or its full signatures."""
    if found is None or level == "files" or not found.full:
        return [f"  {name}"]
    if level == "names":
        return [f"  {name}: {', '.join(found.names)}"]
    return [f"  {name}", *(f"    {line}" for line in found.full)]


def _size(lines: Sequence[str]) -> int:
    """Characters of the lines joined by newlines, counting one newline each."""
    return sum(len(line) + 1 for line in lines)


def _files_view(
    files: Sequence[str], symbols: dict[str, Symbols], detail: dict[str, str]
) -> list[str]:
    """One line per folder, then each file at its chosen detail."""
    lines: list[str] = []
    folder = None
    for path in sorted(files, key=lambda f: (str(PurePosixPath(f).parent), f)):
        parent, name = str(PurePosixPath(path).parent), PurePosixPath(path).name
        if parent != folder:
            folder = parent
            lines.append("./" if parent == "." else f"{parent}/")
        lines.extend(_file_lines(name, symbols.get(path), detail.get(path, "files")))
    return lines


def choose_detail(
    files: Sequence[str], symbols: dict[str, Symbols], budget_chars: int
) -> dict[str, str] | None:
    """Per-file detail filling the budget in priority order; None if the bare paths overflow."""
    detail = dict.fromkeys(files, "files")
    used = _size(_files_view(files, symbols, detail))
    if used > budget_chars:
        return None
    for tests, level in UPGRADES:

        def extra(path: str, level: str = level) -> int:
            name, found = PurePosixPath(path).name, symbols[path]
            now = _file_lines(name, found, detail[path])
            return _size(_file_lines(name, found, level)) - _size(now)

        group = [f for f in files if f in symbols and symbols[f].full and _is_test(f) == tests]
        for path in sorted(group, key=lambda f: (extra(f), f)):
            cost = extra(path)
            if used + cost > budget_chars:
                # Cheapest first: nothing after this fits, and later passes matter less.
                return detail
            detail[path] = level
            used += cost
    return detail


def _header(files: Sequence[str], symbols: dict[str, Symbols], detail: dict[str, str]) -> str:
    """The first line: how many files, and how much of their symbols fit."""
    header = f"Repository map: {len(files)} tracked files"
    with_symbols = [f for f in files if f in symbols and symbols[f].full]
    levels = Counter(detail[f] for f in with_symbols)
    if levels["full"] == len(with_symbols):
        return header
    return (
        f"{header} (Python symbols cut to fit: {levels['full']} files with signatures, "
        f"{levels['names']} with names only, {levels['files']} without)"
    )


def _folders_view(files: Sequence[str], depth: int) -> list[str]:
    """Files down to depth folders; deeper folders summarised as `folder/ (N files)`."""
    shown: list[str] = []
    collapsed: Counter[str] = Counter()
    for path in files:
        parts = PurePosixPath(path).parts
        if len(parts) - 1 <= depth:
            shown.append(path)
        else:
            collapsed["/".join(parts[: depth + 1])] += 1
    lines = [f"{folder}/ ({count} files)" for folder, count in sorted(collapsed.items())]
    return lines + shown


def render_map(files: Sequence[str], symbols: dict[str, Symbols], token_budget: int) -> str:
    """The most detailed map of files that fits token_budget; pure."""
    budget_chars = token_budget * 4
    detail = choose_detail(files, symbols, budget_chars - HEADER_RESERVE)
    if detail is not None:
        return "\n".join([_header(files, symbols, detail), *_files_view(files, symbols, detail)])
    header = f"Repository map: {len(files)} tracked files"
    deepest = max((len(PurePosixPath(f).parts) - 1 for f in files), default=0)
    for depth in range(deepest - 1, -1, -1):
        note = f" (no symbols; folders deeper than {depth} summarised)"
        text = "\n".join([header + note, *_folders_view(files, depth)])
        if len(text) <= budget_chars:
            return text
    tail = "... (map truncated to fit the token budget)"
    text = "\n".join([header, *_folders_view(files, 0)])
    cut = max(budget_chars - len(tail) - 1, 0)
    return (text[:cut].rsplit("\n", 1)[0] + "\n" + tail)[:budget_chars]


def build_repo_map(repo: Path, token_budget: int, blocked_patterns: Sequence[str]) -> str:
    """A map of the tracked files and their Python symbols within token_budget, no blocked file."""
    files = [f for f in tracked_files(repo) if not is_blocked(f, blocked_patterns)]
    symbols = {}
    for path in files:
        if path.endswith(".py"):
            found = python_symbols(repo / path)
            if found is not None:
                symbols[path] = found
    return render_map(files, symbols, token_budget)


def file_refusal(
    worktree: Path,
    path: str,
    blocked_patterns: Sequence[str],
    max_bytes: int = MAX_PLANNED_FILE_BYTES,
) -> str | None:
    """Why a planned file must not be shown to a model, or None when it may be."""
    base = worktree.resolve()
    target = (base / path).resolve()
    if PurePosixPath(path).is_absolute() or not target.is_relative_to(base) or target == base:
        return "it is outside the worktree"
    if ".git" in target.relative_to(base).parts:
        return "it is under .git/"
    if is_blocked(path, blocked_patterns):
        return "its name matches a blocked pattern"
    if not target.exists():
        return None
    if not target.is_file():
        return "it is not a regular file"
    if target.stat().st_size > max_bytes:
        return f"it is larger than {max_bytes} bytes"
    data = target.read_bytes()
    if b"\0" in data:
        return "it is a binary file"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "it is not UTF-8 text"
    return "its content looks like it holds a secret" if looks_secret(text) else None


def read_planned_files(
    worktree: Path,
    paths: Sequence[str],
    blocked_patterns: Sequence[str],
    max_bytes: int = MAX_PLANNED_FILE_BYTES,
) -> dict[str, str]:
    """The text of each planned file ("" for a new one); refused files are left out and logged."""
    files: dict[str, str] = {}
    for path in dict.fromkeys(paths):
        reason = file_refusal(worktree, path, blocked_patterns, max_bytes)
        if reason is not None:
            log.warning("planned file withheld from the model", path=path, reason=reason)
            continue
        target = worktree / path
        files[path] = target.read_text(encoding="utf-8") if target.exists() else ""
    return files
