"""Tests of the local fixers: ruff's safe fixes, `-> None` inference and missing __init__.py."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.mind.fixers import (
    add_none_returns,
    annotatable,
    fixable_source,
    missing_inits,
    python_files,
    ruff_fix,
    ruff_fixable,
    survey,
)
from self_improving_agent.mind.offline import build_changes
from tests.conftest import git

RUFF_CONFIG = '[tool.ruff.lint]\nselect = ["F", "I", "UP"]\n'
UNUSED = '"""M."""\n\nimport os\nimport sys\n\n\ndef cwd() -> str:\n    return os.getcwd()\n'


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_ruff_fixable_and_fix_remove_the_unused_import(tmp_path: Path) -> None:
    root = _write(tmp_path, {"pyproject.toml": RUFF_CONFIG, "m.py": UNUSED})
    codes = ruff_fixable(root)
    assert codes == {"m.py": ["F401"]}
    fixed = ruff_fix(root, "m.py", UNUSED, codes["m.py"])
    assert "import sys" not in fixed
    assert "import os" in fixed
    assert (root / "m.py").read_text(encoding="utf-8") == UNUSED


def test_ruff_fix_sorts_imports(tmp_path: Path) -> None:
    source = '"""M."""\n\nimport sys\nimport os\n\nprint(os.sep, sys.argv)\n'
    root = _write(tmp_path, {"pyproject.toml": RUFF_CONFIG, "m.py": source})
    assert ruff_fixable(root) == {"m.py": ["I001"]}
    fixed = ruff_fix(root, "m.py", source, ["I001"])
    assert fixed == '"""M."""\n\nimport os\nimport sys\n\nprint(os.sep, sys.argv)\n'


def test_none_added_only_where_nothing_is_returned() -> None:
    source = (
        "class A:\n"
        "    def set(self, x: int):\n"
        "        self.x = x\n"
        "        return\n"
        "    def get(self):\n"
        "        return self.x\n"
        "    def items(self):\n"
        "        yield 1\n"
        "    def stub(self):\n"
        "        ...\n"
        "    @property\n"
        "    def p(self):\n"
        "        print(1)\n"
        "\n"
        "def untyped(x):\n"
        "    print(x)\n"
        "\n"
        "def outer(\n"
        "    a: int = max(1, 2),\n"
        "):\n"
        "    def inner():\n"
        "        return 1\n"
        "    f = lambda: 2\n"
        "    print(inner(), f())\n"
    )
    fixed, count = add_none_returns(source)
    assert count == 2
    assert "def set(self, x: int) -> None:" in fixed
    assert "):\n" not in fixed.split("def outer(")[1].split("def inner")[0]
    assert ") -> None:\n    def inner():" in fixed
    for kept in ("def get(self):", "def items(self):", "def stub(self):", "def p(self):"):
        assert kept in fixed
    assert "def untyped(x):" in fixed


def test_none_skips_abstract_and_overload_stubs() -> None:
    source = (
        "from typing import overload\n\n"
        "@overload\ndef f(x: int) -> int: ...\n"
        "def g(x: int):\n    raise NotImplementedError\n"
    )
    assert add_none_returns(source) == (source, 0)


def test_none_leaves_unparsable_source_alone() -> None:
    assert add_none_returns("def broken(:\n") == ("def broken(:\n", 0)


def test_missing_inits_only_below_packages() -> None:
    files = ["pkg/__init__.py", "pkg/sub/m.py", "scripts/tool.py", "top.py"]
    assert missing_inits(files) == ["pkg/sub/__init__.py"]


def test_python_files_skip_tool_folders(tmp_path: Path) -> None:
    _write(tmp_path, {"a.py": "", ".venv/x.py": "", ".agent/y.py": "", "p/b.py": ""})
    assert python_files(tmp_path) == ["a.py", "p/b.py"]


def test_survey_orders_by_weakest_benchmark_and_skips_perfect_ones(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "pyproject.toml": RUFF_CONFIG,
            "pkg/__init__.py": "",
            "pkg/sub/m.py": UNUSED + "\n\ndef log(msg: str):\n    print(msg)\n",
        },
    )
    scores = {"lint_score": 0.5, "type_check": 0.3, "file_organization": 1.0}
    found = survey(root, scores, max_files=5)
    assert [(f.fixer, f.benchmark, f.files) for f in found] == [
        ("annotate", "type_check", ["pkg/sub/m.py"]),
        ("ruff", "lint_score", ["pkg/sub/m.py"]),
    ]
    assert survey(root, {"lint_score": 1.0, "type_check": 1.0}, max_files=5) == []


def test_only_files_mypy_measures_are_planned_for_annotation(tmp_path: Path) -> None:
    bare = "def log(msg: str):\n    print(msg)\n"
    root = _write(
        tmp_path,
        {
            "setup.py": bare,
            "scripts/tool.py": bare,
            "pkg/__init__.py": "",
            "pkg/typed.py": bare,
            "pkg/stubbed.py": bare,
            "pkg/stubbed.pyi": "def log(msg: str) -> None: ...\n",
        },
    )
    found = survey(root, {"type_check": 0.5}, max_files=5)
    assert [(f.fixer, f.files) for f in found] == [("annotate", ["pkg/typed.py"])]
    # A mypy config naming its files decides instead.
    (root / "mypy.ini").write_text("[mypy]\nfiles = scripts\n", encoding="utf-8")
    found = survey(root, {"type_check": 0.5}, max_files=5)
    assert [(f.fixer, f.files) for f in found] == [("annotate", ["scripts/tool.py"])]


def test_a_latin1_or_undecodable_module_beside_the_fix_is_left_alone(repo: Path) -> None:
    bare = "def log(msg: str):\n    print(msg)\n"
    (repo / "pkg").mkdir()
    (repo / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (repo / "pkg" / "typed.py").write_text(bare, encoding="utf-8")
    latin = b"# -*- coding: latin-1 -*-\n" + ('"""Legacy \xe9t\xe9."""\n' + bare).encode("latin-1")
    (repo / "pkg" / "legacy.py").write_bytes(latin)
    (repo / "pkg" / "broken.py").write_bytes(b'"""caf\xe9."""\n' + bare.encode())
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "encodings")
    files = ["pkg/typed.py", "pkg/legacy.py", "pkg/broken.py"]
    assert fixable_source(repo / "pkg" / "legacy.py") is None
    assert annotatable(repo, files) == {"pkg/typed.py": 1}
    changes = build_changes(repo, "type_check", files)
    assert [c.file for c in changes] == ["pkg/typed.py"]
    assert (repo / "pkg" / "legacy.py").read_bytes() == latin
    assert git(repo, "status", "--porcelain") == ""
