"""The error sentences the agent can print, collected from the code by reading its syntax tree."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE_ERROR = "AgentError"
HOLE = "…"


@dataclass(frozen=True)
class Message:
    """One error sentence as written in the code, its runtime values shown as `…`."""

    template: str
    error: str
    path: str
    line: int


def package_dir(root: Path = ROOT) -> Path:
    """The agent's package folder, wherever the layout of the day keeps it."""
    places = (root / "src" / "self_improving_agent", root / "self_improving_agent", root / "src")
    return next(place for place in places if place.is_dir())


def source_files(root: Path = ROOT) -> list[Path]:
    """The agent's own Python files: the package and the CLI shim."""
    return sorted([root / "main.py", *package_dir(root).rglob("*.py")])


def error_classes(trees: list[ast.Module]) -> set[str]:
    """Names of every class that derives, at any depth, from the agent's base error."""
    parents: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                parents[node.name] = {_name(base) for base in node.bases}
    found = {BASE_ERROR}
    grew = True
    while grew:
        more = {name for name, bases in parents.items() if bases & found} - found
        found |= more
        grew = bool(more)
    return found


def _name(node: ast.expr) -> str:
    """The last dotted part of a name or attribute, else empty."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def template(node: ast.expr) -> str | None:
    """The text of a string expression with every computed part as `…`; None when not literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = [
            template(value) if isinstance(value, ast.Constant) else HOLE for value in node.values
        ]
        return "".join(part or "" for part in parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = template(node.left), template(node.right)
        return None if left is None and right is None else (left or HOLE) + (right or HOLE)
    return None


def normal(text: str) -> str:
    """Whitespace collapsed, so a message wrapped over source lines reads as one sentence."""
    return re.sub(r"\s+", " ", text).strip()


def _message_arg(call: ast.Call, error: str) -> ast.expr | None:
    """The argument holding the sentence: PhaseFailed and its kinds take a phase first."""
    index = 1 if error in ("PhaseFailed", "RepairFailed", "MindError") else 0
    return call.args[index] if len(call.args) > index else None


def collect(root: Path = ROOT) -> tuple[list[Message], int]:
    """Every literal error sentence raised in the code, and how many are built at run time."""
    files = source_files(root)
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in files]
    errors = error_classes(trees)
    found: list[Message] = []
    dynamic = 0
    for path, tree in zip(files, trees, strict=True):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            error = _name(node.exc.func)
            if error not in errors:
                continue
            arg = _message_arg(node.exc, error)
            text = template(arg) if arg is not None else None
            if text is None or not normal(text).strip(HOLE + " "):
                dynamic += 1
                continue
            rel = path.relative_to(root).as_posix()
            found.append(Message(normal(text), error, rel, node.lineno))
    return found, dynamic


def templates(root: Path = ROOT) -> set[str]:
    """The distinct sentences, for comparing with the troubleshooting entries."""
    return {message.template for message in collect(root)[0]}
