"""An extra that names the project itself adds that project's extras, never an install of it."""

from __future__ import annotations

import sys
from pathlib import Path

from self_improving_agent.envs.metadata import project_requires

PYPROJECT = """
[project]
name = "Self_Named"
version = "0.1"
dependencies = ["dep-base>=1"]

[project.optional-dependencies]
aws = ["dep-aws>=2"]
github = ["dep-gh"]
unused = ["dep-unused"]
dev = ["self-named[aws]", "dep-dev"]
all = ["self_named[github,dev]"]

[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[tool.setuptools]
packages = []
"""


def _requires(tmp_path: Path, extras: list[str]) -> list[str] | str:
    tree = tmp_path / "tree"
    tree.mkdir(exist_ok=True)
    (tree / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return project_requires(tree, Path(sys.executable), extras, {}, "off")


def test_an_extra_naming_the_project_brings_its_extras(tmp_path: Path) -> None:
    found = _requires(tmp_path, ["dev"])
    assert isinstance(found, list), found
    assert sorted(found) == ["dep-aws>=2", "dep-base>=1", "dep-dev"]


def test_self_references_are_followed_through_several_extras(tmp_path: Path) -> None:
    found = _requires(tmp_path, ["all"])
    assert isinstance(found, list), found
    assert sorted(found) == ["dep-aws>=2", "dep-base>=1", "dep-dev", "dep-gh"]
