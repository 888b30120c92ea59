"""The files of a repository, tests told apart, packages and their modules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from self_improving_agent.base.errors import BenchmarkError
from self_improving_agent.benchmarks.sources import SourceTree, is_test_path, repo_files
from tests.conftest import make_repo


def test_is_test_path() -> None:
    assert is_test_path("tests/unit/helpers.py")
    assert is_test_path("pkg/test_x.py")
    assert is_test_path("pkg/x_test.py")
    assert is_test_path("conftest.py")
    assert not is_test_path("pkg/testing_tools.py")
    assert not is_test_path("src/contest.py")


def test_repo_files_are_tracked_plus_untracked_not_ignored(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {".gitignore": "*.log\n", "a.py": ""})
    (repo / "b.py").write_text("", encoding="utf-8")
    (repo / "x.log").write_text("", encoding="utf-8")
    (repo / ".venv" / "lib").mkdir(parents=True)
    (repo / ".venv" / "lib" / "site.py").write_text("", encoding="utf-8")
    assert repo_files(repo) == [".gitignore", "a.py", "b.py"]


def test_a_subfolder_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"pkg/a.py": ""})
    with pytest.raises(BenchmarkError, match="is inside the git repository"):
        repo_files(repo / "pkg")


def test_package_modules_with_flat_and_src_layouts(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {
            "app/__init__.py": "",
            "app/core/__init__.py": "",
            "app/core/run.py": "",
            "src/lib/__init__.py": "",
            "src/lib/util.py": "",
            "tests/__init__.py": "",
            "tests/test_app.py": "",
            "main.py": "",
        },
    )
    tree = SourceTree.scan(repo)
    assert tree.top_packages() == ["app", "src/lib"]
    assert tree.package_modules() == {
        "app": ".",
        "app.core": ".",
        "app.core.run": ".",
        "lib": "src",
        "lib.util": "src",
    }
    assert "tests/test_app.py" not in tree.source
    assert tree.lines(["main.py"]) == 0


def test_a_file_name_that_is_not_utf8_is_one_sentence_naming_it(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.py": ""})
    (repo / os.fsdecode(b"z\xfe.txt")).write_bytes(b"")
    expected = r"file name b'z\\xfe.txt' in the repository is not UTF-8; rename it"
    with pytest.raises(BenchmarkError, match=expected):
        repo_files(repo)
