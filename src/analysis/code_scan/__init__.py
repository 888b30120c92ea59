"""Static scan of Python source for code that spawns shells, runs strings or loads payloads."""

from __future__ import annotations

import ast
import gc
import re
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from self_improving_agent.analysis.code_scan.checks import Checker
from self_improving_agent.analysis.code_scan.finding import CodeFinding
from self_improving_agent.analysis.code_scan.rules import (
    BUILTINS_BY_STRING,
    CODE_SWAP,
    DUNDER_IMPORT,
    DYNAMIC_ATTRIBUTE,
    DYNAMIC_IMPORT,
    ENCODING,
    EVAL_EXEC,
    INTROSPECTION,
    LOADER,
    NATIVE,
    OS_SHELL,
    PICKLE_MARSHAL,
    SCANNER_ERROR,
    SPAWN_ARGV,
    STRING_ANNOTATION,
    SUBPROCESS_SHELL,
    SYNTAX,
    WHY,
)
from self_improving_agent.base.pysource import parse_source

__all__ = [
    "BUILTINS_BY_STRING",
    "CODE_SWAP",
    "DUNDER_IMPORT",
    "DYNAMIC_ATTRIBUTE",
    "DYNAMIC_IMPORT",
    "ENCODING",
    "EVAL_EXEC",
    "INTROSPECTION",
    "LOADER",
    "NATIVE",
    "OS_SHELL",
    "PICKLE_MARSHAL",
    "SCANNER_ERROR",
    "SPAWN_ARGV",
    "STRING_ANNOTATION",
    "SUBPROCESS_SHELL",
    "SYNTAX",
    "WHY",
    "CodeFinding",
    "coding_problem",
    "gc_paused",
    "package_of",
    "scan_source",
    "scan_tree",
]

# PEP 263: a coding cookie in a comment on the first or second line.
_COOKIE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_UTF8 = frozenset({"utf-8", "utf8", "utf_8", "ascii", "us-ascii", "us_ascii"})


def coding_problem(source: str) -> str | None:
    """Why the file's coding cookie would make Python read other code than this, or None."""
    for line in source.lstrip("\ufeff").splitlines()[:2]:
        match = _COOKIE.match(line)
        if match:
            name = match.group(1).lower()
            if name not in _UTF8 and not name.startswith(("utf-8-", "utf_8_")):
                return f"coding cookie {match.group(1)!r}: only utf-8 or ascii are allowed"
            return None
    return None


def import_path(path: str, package_dirs: Mapping[str, str] | None = None) -> str:
    """A repository-relative path as imported: setuptools' package-dir maps folders to names
    ({"pkg": "src"}: 'src/a.py' -> 'pkg/a.py'; {"": "src"}: 'src/pkg/a.py' -> 'pkg/a.py')."""
    clean = path.replace("\\", "/").strip("/")
    for name, folder in sorted((package_dirs or {}).items(), key=lambda kv: -len(kv[1])):
        folder = folder.replace("\\", "/").strip("/")
        if folder and (clean == folder or clean.startswith(folder + "/")):
            rest = clean[len(folder) :].strip("/")
            return "/".join(p for p in (name.replace(".", "/"), rest) if p)
    return clean


def package_of(path: str, package_dirs: Mapping[str, str] | None = None) -> str:
    """The dotted package a repository-relative .py path sits in ('src/a/b.py' -> 'src.a')."""
    parts = import_path(path, package_dirs).split("/")[:-1]
    return ".".join(p for p in parts if p.isidentifier())


def _error(path: str, exc: BaseException) -> list[CodeFinding]:
    """An internal failure as a refusal: an unchecked file is never allowed."""
    message = f"{path}: the scanner failed ({type(exc).__name__}: {exc}); the file is refused"
    return [CodeFinding(rule=SCANNER_ERROR, message=message, line=1, col=1)]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cycle collector: a scan allocates many short-lived acyclic objects, and the
    collector's full passes over them make a long file's scan superlinear."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def scan_tree(tree: ast.Module, path: str = "") -> list[CodeFinding]:
    """The findings of one parsed module; never raises (a failure is a scanner-error finding)."""
    try:
        with gc_paused():
            return Checker(tree, package_of(path)).scan()
    except Exception as exc:  # any failure must refuse the file, never let it through
        return _error(path, exc)


def scan_source(source: str, path: str) -> list[CodeFinding]:
    """The findings of one module's source; unparsable source gives one `code/syntax` finding."""
    try:
        problem = coding_problem(source)
        if problem:
            return [CodeFinding(rule=ENCODING, message=f"{path}: {problem}", line=1, col=1)]
        try:
            with gc_paused():
                tree = parse_source(source, filename=path)
        except SyntaxError as exc:
            line, col = exc.lineno or 1, exc.offset or 1
            message = f"{path}:{line}: Python does not parse ({exc.msg})"
            return [CodeFinding(rule=SYNTAX, message=message, line=line, col=col)]
        except (ValueError, RecursionError, MemoryError) as exc:
            message = f"{path}: Python does not parse ({type(exc).__name__}: {exc})"
            return [CodeFinding(rule=SYNTAX, message=message, line=1, col=1)]
        return scan_tree(tree, path)
    except Exception as exc:  # any failure must refuse the file, never let it through
        return _error(path, exc)


def package_dirs(root: Path) -> dict[str, str]:
    """setuptools' package-dir of the repository's pyproject.toml: import names by folder."""
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    mapping = data.get("tool", {}).get("setuptools", {}).get("package-dir", {})
    if not isinstance(mapping, dict):
        return {}
    return {str(k): v for k, v in mapping.items() if isinstance(v, str)}
