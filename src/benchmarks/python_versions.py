"""The Python versions a project supports, and whether code written for it runs on the lowest."""

from __future__ import annotations

import ast
import configparser
import contextlib
import re
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

from self_improving_agent.base.pysource import parse_source, read_source, source_text

Version = tuple[int, int]
# The lowest version ruff can be told to check for; mypy's is asked of mypy itself.
RUFF_LOWEST: Version = (3, 7)
PARSER_LOWEST: Version = (3, 7)
_BOUND = re.compile(r"(>=|~=|\^|~|==|>)\s*(\d+)(?:\.(\d+))?")
# Names that are types at run time: `int | None` in an expression needs Python 3.10.
_RUNTIME_TYPES = frozenset(
    {"int", "str", "float", "bytes", "bool", "list", "dict", "set", "tuple", "type", "object"}
)


def lowest_of(spec: str) -> Version | None:
    """The lowest Python a version specifier admits (`>=3.9,<4` -> 3.9), or None."""
    bounds: list[Version] = []
    for op, major, minor in _BOUND.findall(spec):
        version = (int(major), int(minor or 0))
        bounds.append((version[0], version[1] + 1) if op == ">" and minor else version)
    return max(bounds) if bounds else None


def _toml(root: Path, name: str) -> dict[str, Any]:
    """A TOML file of root, {} when absent or unreadable."""
    try:
        return tomllib.loads((root / name).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def declared_spec(root: Path) -> str | None:
    """requires-python, Poetry's python, setup.cfg's or setup.py's python_requires, or None."""
    pyproject = _toml(root, "pyproject.toml")
    spec = (pyproject.get("project") or {}).get("requires-python")
    if isinstance(spec, str):
        return spec
    poetry = ((pyproject.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
    python = poetry.get("python") if isinstance(poetry, dict) else None
    python = python.get("version") if isinstance(python, dict) else python
    if isinstance(python, str):
        return python
    parser = configparser.ConfigParser(interpolation=None)
    with contextlib.suppress(OSError, configparser.Error, UnicodeDecodeError):
        parser.read(root / "setup.cfg", encoding="utf-8")
        if parser.has_option("options", "python_requires"):
            return parser.get("options", "python_requires")
    with contextlib.suppress(OSError, SyntaxError, ValueError, UnicodeDecodeError):
        for node in ast.walk(parse_source(read_source(root / "setup.py"))):
            value = node.value if isinstance(node, ast.keyword) else None
            if node_is(node, "python_requires") and isinstance(value, ast.Constant):
                return str(value.value)
    return None


def node_is(node: ast.AST, keyword: str) -> bool:
    """Whether node is the keyword argument `keyword=...` of a call."""
    return isinstance(node, ast.keyword) and node.arg == keyword


def declared_lowest(root: Path) -> Version | None:
    """The lowest Python the project says it supports, or None when it says nothing."""
    spec = declared_spec(root)
    return lowest_of(spec) if spec else None


def lowest_for(root: Path, rel: str) -> Version | None:
    """The lowest Python of the project holding rel: the nearest folder above it declaring one
    (a workspace member's own), else None."""
    for folder in PurePosixPath(rel).parents:
        found = declared_lowest(root / folder)
        if found is not None:
            return found
    return None


def _sets(root: Path, key: str, tool: str, ini: tuple[str, ...]) -> bool:
    """Whether a tool's own config (pyproject [tool.X], X.toml, ini files) sets key."""
    if key in ((_toml(root, "pyproject.toml").get("tool") or {}).get(tool) or {}):
        return True
    if any(key in _toml(root, name) for name in (f"{tool}.toml", f".{tool}.toml")):
        return True
    for name in ini:
        parser = configparser.ConfigParser(interpolation=None)
        with contextlib.suppress(OSError, configparser.Error, UnicodeDecodeError):
            parser.read(root / name, encoding="utf-8")
            if parser.has_option(tool, key):
                return True
    return False


def ruff_version_args(root: Path) -> list[str]:
    """`--target-version` for ruff when the project declares a Python ruff would not see."""
    lowest = declared_lowest(root)
    # ruff reads [project] requires-python itself; Poetry, setup.cfg and setup.py it cannot.
    has_own = (_toml(root, "pyproject.toml").get("project") or {}).get("requires-python")
    if lowest is None or has_own or _sets(root, "target-version", "ruff", ()):
        return []
    major, minor = max(lowest, RUFF_LOWEST)
    return ["--target-version", f"py{major}{minor}"]


def mypy_version_args(root: Path) -> list[str]:
    """`--python-version` for mypy when the project declares a Python its mypy config does not."""
    lowest = declared_lowest(root)
    ini = ("mypy.ini", ".mypy.ini", "setup.cfg")
    if lowest is None or _sets(root, "python_version", "mypy", ini):
        return []
    major, minor = max(lowest, mypy_lowest())
    return ["--python-version", f"{major}.{minor}"]


def mypy_lowest() -> Version:
    """The lowest Python the installed mypy can check for."""
    from mypy.defaults import PYTHON3_VERSION_MIN

    return PYTHON3_VERSION_MIN[0], PYTHON3_VERSION_MIN[1]


def _is_type(node: ast.expr) -> bool:
    """Whether an operand of `|` is recognisably a type (None, a builtin type, X[...])."""
    if isinstance(node, ast.Constant):
        return node.value is None
    if isinstance(node, ast.Name):
        return node.id in _RUNTIME_TYPES
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _is_type(node.left) or _is_type(node.right)
    return isinstance(node, ast.Subscript)


def _annotations(tree: ast.Module) -> set[int]:
    """ids of every node inside an annotation."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        for ann in (getattr(node, "annotation", None), getattr(node, "returns", None)):
            if isinstance(ann, ast.expr):
                inside.update(id(sub) for sub in ast.walk(ann))
    return inside


def version_problem(path: str, text: str, lowest: Version | None) -> str | None:
    """Why text would not run on the project's lowest Python, or None."""
    if lowest is None or lowest >= (3, 10):
        return None
    shown = f"{lowest[0]}.{lowest[1]}"
    try:
        version = max(lowest, PARSER_LOWEST)
        tree = ast.parse(source_text(text), filename=path, feature_version=version)
    except SyntaxError as exc:
        return f"{path}: not valid on Python {shown}, the lowest the project supports ({exc.msg})"
    future = any(
        isinstance(s, ast.ImportFrom)
        and s.module == "__future__"
        and any(alias.name == "annotations" for alias in s.names)
        for s in tree.body
    )
    # Without the __future__ import annotations are evaluated too, so they count.
    inside = _annotations(tree) if future else set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.BitOr):
            continue
        if id(node) not in inside and (_is_type(node.left) or _is_type(node.right)):
            return (
                f"{path}:{node.lineno}: `X | Y` of types runs only on Python 3.10+, and the "
                f"project supports {shown}; use Optional[...] or Union[...]"
            )
    return None
