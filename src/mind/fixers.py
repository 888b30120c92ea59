"""Local fixers for small, honest improvements: ruff's safe fixes, `-> None`, `__init__.py`."""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
import tokenize
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel

from self_improving_agent.base.errors import FixerError
from self_improving_agent.base.limits import MAX_FILE_BYTES
from self_improving_agent.base.pysource import decode_source
from self_improving_agent.benchmarks.python_versions import ruff_version_args
from self_improving_agent.benchmarks.sources import TOOL_SCRIPTS, SourceTree
from self_improving_agent.benchmarks.type_check import configured_targets, default_targets

RUFF_CODES = ("F401", "I001", "UP")
RUFF_TIMEOUT_S = 60
# Files named in one ruff run: enough to be quick, few enough that argv stays small.
RUFF_BATCH = 200
SKIPPED_DIRS = frozenset({".git", ".agent", ".venv", "venv", "node_modules", "__pycache__"})
STUB_CALLS = frozenset({"NotImplementedError"})


class Finding(BaseModel):
    """What one fixer can improve: the benchmark it raises and the files it would touch."""

    fixer: str
    benchmark: str
    files: list[str]
    detail: str


def _ruff(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ruff from this interpreter; its exit code 1 (violations) is not a failure."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ruff", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=RUFF_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FixerError(f"ruff could not run in {cwd}: {exc}") from None
    if proc.returncode not in (0, 1):
        raise FixerError(f"ruff exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return proc


def _wanted(code: str | None) -> bool:
    """Whether a ruff rule code is one of the safe fixes this fixer applies."""
    return bool(code) and any(str(code).startswith(prefix) for prefix in RUFF_CODES)


def ruff_fixable(root: Path) -> dict[str, list[str]]:
    """Per repo-relative file, the rule codes the repo's own ruff config reports with a safe fix."""
    files = python_files(root)
    if not files:
        return {}
    # The files are named (not ".") so none above the size limit is linted for nothing, in
    # batches, so that no argv grows with the repository (ruff reads no argument file).
    version = ruff_version_args(root)
    items: list[dict[str, Any]] = []
    for start in range(0, len(files), RUFF_BATCH):
        batch = files[start : start + RUFF_BATCH]
        args = ["check", "--output-format", "json", "--no-cache", "--force-exclude", *version]
        items += json.loads(_ruff([*args, "--", *batch], root).stdout or "[]")
    found: dict[str, set[str]] = {}
    for item in items:
        fix = item.get("fix") or {}
        if not _wanted(item.get("code")) or fix.get("applicability") != "safe":
            continue
        rel = Path(item["filename"]).resolve().relative_to(root.resolve()).as_posix()
        found.setdefault(rel, set()).add(item["code"])
    return {rel: sorted(codes) for rel, codes in sorted(found.items())}


def ruff_fix(root: Path, rel: str, source: str, codes: list[str]) -> str:
    """The source after ruff's safe fixes for codes, run on a copy fed through stdin."""
    if not codes:
        return source
    args = ["check", "--fix", "--no-cache", *ruff_version_args(root), "--select", ",".join(codes)]
    proc = _ruff([*args, "--stdin-filename", rel, "-"], root, stdin=source)
    return proc.stdout if proc.stdout else source


def _own_nodes(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    """Nodes of a function's own body, not those of nested functions, lambdas or classes."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    todo: list[ast.AST] = [stmt for stmt in func.body if not isinstance(stmt, nested)]
    seen: list[ast.AST] = []
    while todo:
        node = todo.pop()
        seen.append(node)
        todo.extend(c for c in ast.iter_child_nodes(node) if not isinstance(c, nested))
    return seen


def _is_stub(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A body of only a docstring, `...`, `pass` or `raise NotImplementedError`."""
    for stmt in func.body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            target = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if isinstance(target, ast.Name) and target.id in STUB_CALLS:
                continue
        return False
    return True


def _args_annotated(func: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool) -> bool:
    """Every parameter but a method's first is annotated, so `-> None` completes the signature."""
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    if in_class and positional:
        positional = positional[1:]
    params = [*positional, *args.kwonlyargs, args.vararg, args.kwarg]
    return all(p.annotation is not None for p in params if p is not None)


def returns_nothing(func: ast.FunctionDef | ast.AsyncFunctionDef, in_class: bool) -> bool:
    """Whether `-> None` is safe: no return value, no yield, no decorator, not a stub."""
    if func.returns is not None or func.decorator_list or _is_stub(func):
        return False
    if not _args_annotated(func, in_class):
        return False
    for node in _own_nodes(func):
        if isinstance(node, ast.Yield | ast.YieldFrom):
            return False
        if isinstance(node, ast.Return) and node.value is not None:
            return False
    return True


def _candidates(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Functions and methods (at any depth) that may take `-> None`."""
    found: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    todo: list[tuple[ast.AST, bool]] = [(tree, False)]
    while todo:
        node, in_class = todo.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                if returns_nothing(child, in_class):
                    found.append(child)
                todo.append((child, False))
            elif isinstance(child, ast.ClassDef):
                todo.append((child, True))
            else:
                todo.append((child, in_class))
    return found


def _signature_end(tokens: list[tokenize.TokenInfo], start: tuple[int, int]) -> tuple[int, int]:
    """Where the parameter list of the `def` at start closes (row, col after its `)`)."""
    depth = 0
    for tok in tokens:
        if tok.start < start or tok.type != tokenize.OP:
            continue
        if tok.string == "(":
            depth += 1
        elif tok.string == ")":
            depth -= 1
            if depth == 0:
                return tok.end
    raise ValueError(f"no parameter list after line {start[0]}")


def add_none_returns(source: str) -> tuple[str, int]:
    """The source with `-> None` on every function that safely returns nothing, and the count."""
    try:
        tree = ast.parse(source)
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (SyntaxError, tokenize.TokenError):
        return source, 0
    funcs = _candidates(tree)
    lines = source.splitlines(keepends=True)
    ends = sorted((_signature_end(tokens, (f.lineno, f.col_offset)) for f in funcs), reverse=True)
    for row, col in ends:
        line = lines[row - 1]
        lines[row - 1] = line[:col] + " -> None" + line[col:]
    return "".join(lines), len(ends)


def fixable_source(path: Path) -> str | None:
    """A Python file's text as Python reads it, or None when a fixer must leave the file alone.

    None for a file Python cannot decode, and for one in another encoding than UTF-8 (a latin-1
    coding cookie): the edit applier writes UTF-8 only, so a fix there could never land.
    """
    try:
        data = path.read_bytes()
        text = decode_source(data)
        data.decode("utf-8")
    except (OSError, SyntaxError, ValueError):
        return None
    return text


def annotatable(root: Path, files: list[str]) -> dict[str, int]:
    """Per file, how many functions would get `-> None`."""
    counts = {}
    for rel in files:
        source = fixable_source(root / rel)
        _, count = add_none_returns(source) if source is not None else ("", 0)
        if count:
            counts[rel] = count
    return counts


def python_files(root: Path) -> list[str]:
    """Repo-relative Python files outside tool and environment folders, none above the limit."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part in SKIPPED_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        # No edit may write a file this big, so parsing one would cost memory for nothing.
        if path.is_file() and path.stat().st_size <= MAX_FILE_BYTES:
            found.append(rel.as_posix())
    return found


def type_checked(root: Path, files: list[str]) -> list[str]:
    """The files type_check's mypy run reads: its targets, minus tests and files behind a stub."""
    tree = SourceTree.scan(root, files)
    targets = configured_targets(root)
    if targets is None:
        targets = default_targets(tree.top_packages(), tree.source)
    return [
        rel
        for rel in tree.source
        if any(rel == t or rel.startswith(f"{t.rstrip('/')}/") for t in targets)
        and not (root / rel).with_suffix(".pyi").is_file()
        and PurePosixPath(rel).stem not in TOOL_SCRIPTS
    ]


def missing_inits(files: list[str]) -> list[str]:
    """`__init__.py` files missing from folders of Python files that sit inside a package."""
    folders = {str(PurePosixPath(f).parent) for f in files}
    packages = {
        str(PurePosixPath(f).parent) for f in files if PurePosixPath(f).name == "__init__.py"
    }
    missing = {
        f"{folder}/__init__.py"
        for folder in folders
        if folder != "."
        and folder not in packages
        and str(PurePosixPath(folder).parent) in packages
    }
    return sorted(missing)


def survey(root: Path, scores: dict[str, float], max_files: int) -> list[Finding]:
    """What the fixers could improve in root, weakest benchmark first; never more than max_files."""
    files = python_files(root)
    found: list[Finding] = []
    lint = ruff_fixable(root)
    if lint:
        detail = ", ".join(sorted({c for codes in lint.values() for c in codes}))
        found.append(Finding(fixer="ruff", benchmark="lint_score", files=list(lint), detail=detail))
    # Only files mypy measures: annotating tests, stubbed or unchecked files would raise nothing.
    notes = annotatable(root, type_checked(root, files))
    if notes:
        detail = f"{sum(notes.values())} function(s) without a return value"
        found.append(
            Finding(fixer="annotate", benchmark="type_check", files=list(notes), detail=detail)
        )
    inits = missing_inits(files)
    if inits:
        found.append(
            Finding(
                fixer="init",
                benchmark="file_organization",
                files=inits,
                detail="package folder(s) without __init__.py",
            )
        )
    improvable = [f for f in found if f.benchmark in scores and scores[f.benchmark] < 1.0]
    improvable.sort(key=lambda f: (scores[f.benchmark], f.benchmark))
    return [f.model_copy(update={"files": f.files[:max_files]}) for f in improvable]
