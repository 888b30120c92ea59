"""Nothing private is reached from another module of the package.

The rule: a name with one leading underscore belongs to the module (or class) that defines it.
Under src/, no module imports such a name from another of our modules, reaches it as an
attribute of one of our modules or of a name imported from one, or calls a private attribute of
another object whose name the module does not define itself. `self._x` and `cls._x` are the
class's own (a subclass may use what its base keeps); private names of the standard library
(`os._exit`) are not ours. Tests may reach privates to test them.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "self_improving_agent"


def is_private(name: str) -> bool:
    """One leading underscore, not a dunder."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def own_names(tree: ast.Module) -> set[str]:
    """Every name the module defines: functions, classes, assigned names and attributes."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    return names


def imported(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Local names bound by imports of our modules, and those bound by any other import."""
    ours: set[str] = set()
    theirs: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            bound = ours if (node.module or "").startswith(PACKAGE) else theirs
            bound.update(a.asname or a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound = ours if alias.name.startswith(PACKAGE) else theirs
                bound.add(alias.asname or alias.name.split(".")[0])
    return ours, theirs


def reaches(path: Path, root: Path = SRC) -> list[str]:
    """Each place in the module that reaches a private name of another module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    ours, theirs = imported(tree)
    defined = own_names(tree)
    where = path.relative_to(root).as_posix()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE):
            found += [
                f"{where}:{node.lineno} imports {node.module}.{a.name}"
                for a in node.names
                if is_private(a.name)
            ]
        elif isinstance(node, ast.Attribute) and is_private(node.attr):
            base = node.value
            name = base.id if isinstance(base, ast.Name) else None
            if name in ("self", "cls") or name in theirs:
                continue
            if name in ours or node.attr not in defined:
                found.append(f"{where}:{node.lineno} reaches {ast.unparse(node)}")
    return found


def test_no_module_reaches_a_private_name_of_another() -> None:
    found = [hit for path in sorted(SRC.rglob("*.py")) for hit in reaches(path)]
    assert found == []


def test_the_check_sees_each_way_of_reaching_in(tmp_path: Path) -> None:
    """The rule fails on each form it names and passes what a module keeps to itself."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os\n"
        "from self_improving_agent.benchmarks import runner\n"
        "from self_improving_agent.benchmarks.runner import _hidden, Visible\n"
        "_mine = 1\n"
        "class Own:\n"
        "    def _step(self) -> None:\n"
        "        self._state = self._step()\n"
        "def use(other: object, own: Own) -> None:\n"
        "    runner._helper()\n"
        "    Visible._inner()\n"
        "    other._theirs()\n"
        "    own._step()\n"
        "    os._exit(_mine)\n",
        encoding="utf-8",
    )
    found = sorted(hit.split(" ", 1)[1] for hit in reaches(probe, tmp_path))
    assert found == [
        "imports self_improving_agent.benchmarks.runner._hidden",
        "reaches Visible._inner",
        "reaches other._theirs",
        "reaches runner._helper",
    ]
