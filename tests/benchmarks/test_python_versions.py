"""The Python versions a project supports steer ruff, mypy and what a generation may write."""

from __future__ import annotations

from pathlib import Path

import pytest

from self_improving_agent.base.models import Change
from self_improving_agent.benchmarks import type_check
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.python_versions import (
    declared_lowest,
    lowest_for,
    lowest_of,
    mypy_lowest,
    mypy_version_args,
    ruff_version_args,
    version_problem,
)
from self_improving_agent.core.editing import apply_change
from self_improving_agent.mind.fixers import ruff_fixable
from tests.benchmarks.conftest import context
from tests.conftest import make_repo

POETRY = '[tool.poetry]\nname = "p"\n[tool.poetry.dependencies]\npython = "{python}"\n'


def poetry_repo(tmp_path: Path, python: str, files: dict[str, str] | None = None) -> Path:
    """A Poetry project declaring python, with some more files."""
    pyproject = POETRY.format(python=python)
    return make_repo(tmp_path / "repo", {"pyproject.toml": pyproject, **(files or {})})


def test_lowest_of_a_specifier() -> None:
    assert lowest_of(">=3.9") == (3, 9)
    assert lowest_of(">=3.8, <4") == (3, 8)
    assert lowest_of("^3.9") == (3, 9)
    assert lowest_of("~=3.10") == (3, 10)
    assert lowest_of(">3.8") == (3, 9)
    assert lowest_of("!=3.0.*") is None


def test_declared_in_each_place(tmp_path: Path) -> None:
    places = {
        "pyproject.toml": '[project]\nname = "p"\nrequires-python = ">=3.10"\n',
        "setup.cfg": "[options]\npython_requires = >=3.8\n",
        "setup.py": "from setuptools import setup\nsetup(python_requires='>=3.7')\n",
    }
    for i, (name, text) in enumerate(places.items()):
        root = tmp_path / str(i)
        root.mkdir()
        (root / name).write_text(text, encoding="utf-8")
        assert declared_lowest(root) == {0: (3, 10), 1: (3, 8), 2: (3, 7)}[i]
    assert declared_lowest(poetry_repo(tmp_path, "^3.9")) == (3, 9)


def test_a_latin1_setup_py_is_read_as_python_reads_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    setup = "# -*- coding: latin-1 -*-\n# caf\xe9\nfrom setuptools import setup\n"
    (repo / "setup.py").write_bytes((setup + "setup(python_requires='>=3.8')\n").encode("latin-1"))
    assert declared_lowest(repo) == (3, 8)


def test_tools_get_the_lowest_only_where_the_project_sets_none(tmp_path: Path) -> None:
    repo = poetry_repo(tmp_path, ">=3.7,<4")
    assert ruff_version_args(repo) == ["--target-version", "py37"]
    # mypy cannot check for 3.7 any more: clamped to the lowest it can.
    lowest = ".".join(map(str, mypy_lowest()))
    assert mypy_version_args(repo) == ["--python-version", lowest]
    (repo / "mypy.ini").write_text("[mypy]\npython_version = 3.11\n", encoding="utf-8")
    assert mypy_version_args(repo) == []
    (repo / "ruff.toml").write_text('target-version = "py311"\n', encoding="utf-8")
    assert ruff_version_args(repo) == []
    # ruff reads requires-python itself.
    (repo / "ruff.toml").unlink()
    (repo / "pyproject.toml").write_text('[project]\nrequires-python = ">=3.8"\n')
    assert ruff_version_args(repo) == []


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("X = int | None\n", True),
        ("def f(x: int | None) -> None:\n    pass\n", True),
        (
            "from __future__ import annotations\n\n\ndef f(x: int | None) -> None:\n    pass\n",
            False,
        ),
        ("from __future__ import annotations\n\nok = isinstance(1, int | str)\n", True),
        ("FLAGS = 1 | 2\n", False),
        ("match x:\n    case 1:\n        pass\n", True),
    ],
)
def test_what_would_not_run_on_3_9_is_caught(text: str, bad: bool) -> None:
    assert (version_problem("m.py", text, (3, 9)) is not None) is bad
    assert version_problem("m.py", text, (3, 10)) is None


def test_the_fixers_keep_to_the_lowest_python(tmp_path: Path) -> None:
    code = (
        "from typing import List, Optional\n\n\ndef f(x: Optional[List[int]]) -> None:\n    pass\n"
    )
    old = poetry_repo(tmp_path / "old", "^3.8", {"pkg/mod.py": code})
    assert ruff_fixable(old) == {}
    new = poetry_repo(tmp_path / "new", "^3.10", {"pkg/mod.py": code})
    assert ruff_fixable(new) != {}


def test_mypy_checks_at_the_lowest_python(tmp_path: Path) -> None:
    # Exception groups came with 3.11: mypy told the project's lowest Python reports them.
    code = "try:\n    pass\nexcept* ValueError:\n    pass\n"
    files = {"pkg/__init__.py": "", "pkg/mod.py": code}
    for python, errors in (("^3.10", 1), ("^3.11", 0)):
        repo = poetry_repo(tmp_path / python, python, files)
        result = type_check.run(context(repo, tmp_path / python / "s", MeasureSections()), 300)
        assert result.raw["errors"] == errors, result.raw


def test_a_write_that_would_not_run_on_the_lowest_python_is_rolled_back(tmp_path: Path) -> None:
    repo = poetry_repo(tmp_path, "^3.9", {"pkg/mod.py": "from typing import Optional\n"})
    change = Change(file="pkg/mod.py", op="append", content="Alias = int | None\n")
    result = apply_change(repo, change, [])
    assert not result.applied
    assert "`X | Y` of types runs only on Python 3.10+" in (result.error or "")
    assert (repo / "pkg/mod.py").read_text() == "from typing import Optional\n"


def test_a_write_in_a_workspace_member_keeps_to_that_members_lowest_python(tmp_path: Path) -> None:
    member = '[project]\nname = "old"\nrequires-python = ">=3.9"\n'
    repo = make_repo(
        tmp_path / "repo",
        {
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["libs/*"]\n',
            "libs/old/pyproject.toml": member,
            "libs/old/src/old/__init__.py": "X = 1\n",
            "libs/new/src/new/__init__.py": "X = 1\n",
        },
    )
    assert lowest_for(repo, "libs/old/src/old/__init__.py") == (3, 9)
    assert lowest_for(repo, "libs/new/src/new/__init__.py") is None
    bad = Change(file="libs/old/src/old/__init__.py", op="append", content="A = int | None\n")
    assert "runs only on Python 3.10+" in (apply_change(repo, bad, []).error or "")
    fine = Change(file="libs/new/src/new/__init__.py", op="append", content="A = int | None\n")
    assert apply_change(repo, fine, []).applied
