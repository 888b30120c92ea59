"""The copy main's checks measure: main's tool settings and tests back, new suppressions gone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from self_improving_agent.gates.vet.main_checks import (
    apply_main_checks,
    evidence,
    main_checks_files,
    strip_added_suppressions,
)
from self_improving_agent.git_ops.changeset import from_worktree
from tests.conftest import git, make_repo

OLD = b"import os\n\n\ndef f(x):\n    return x  # noqa: E501 kept, main had it\n"
NEW = (
    b"# mypy: disable-error-code=assignment\n# type: ignore\n# ruff: noqa\nimport os\n"
    b"from typing import no_type_check\n\n\n@no_type_check\ndef f(x):\n"
    b"    return x  # noqa: E501 kept, main had it\n\n\n"
    b"def g(y):  # pragma no cover\n    z: int = y  # type: ignore[assignment]\n    return z\n"
)


def test_only_the_suppressions_the_change_added_are_removed() -> None:
    stripped = strip_added_suppressions(OLD, NEW).decode()
    for gone in ("mypy:", "type: ignore", "ruff: noqa", "@no_type_check", "pragma no cover"):
        assert gone not in stripped
    assert "# noqa: E501 kept, main had it" in stripped
    # The copy still runs: the same functions, the same results.
    namespace: dict[str, object] = {}
    exec(compile(stripped, "stripped.py", "exec"), namespace)
    assert namespace["g"](3) == 3  # type: ignore[operator]


def test_main_settings_and_tests_come_back_and_new_config_goes(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "pyproject.toml": "[tool.pytest.ini_options]\naddopts = '-q'\n",
            "tests/test_a.py": "def test_a():\n    assert 1\n",
            "pkg/m.py": OLD.decode(),
        },
    )
    (repo / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = '-k nothing'\n")
    (repo / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    (repo / "pkg" / "ruff.toml").write_text("[lint]\nignore = ['E']\n")
    (repo / "pkg" / "m.py").write_bytes(NEW)
    files = main_checks_files(from_worktree(repo))
    assert files["pyproject.toml"] == b"[tool.pytest.ini_options]\naddopts = '-q'\n"
    assert files["tests/test_a.py"] == b"def test_a():\n    assert 1\n"
    assert files["pkg/ruff.toml"] is None
    assert b"no_type_check\ndef" not in (files["pkg/m.py"] or b"")
    out = subprocess.run(
        [sys.executable, "-c", "import ast, sys; ast.parse(sys.stdin.read())"],
        input=files["pkg/m.py"],
        capture_output=True,
        check=False,
    )
    assert out.returncode == 0


def test_main_tests_follow_a_moved_module_and_the_copy_is_staged(tmp_path: Path) -> None:
    """The change moves pkg/calc.py to pkg/arith.py and rewrites its test: main's test comes
    back with its import pointed at the new module; the copy lists what was replaced."""
    test = (
        "# main's test\nfrom pkg.calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    )
    calc = "def add(a, b):\n    return a + b\n"
    repo = make_repo(
        tmp_path / "repo", {"pkg/__init__.py": "", "pkg/calc.py": calc, "tests/test_calc.py": test}
    )
    git(repo, "mv", "pkg/calc.py", "pkg/arith.py")
    (repo / "tests" / "test_calc.py").write_text(
        "from pkg.arith import add\n\n\ndef test_add():\n    assert True\n"
    )
    changes = from_worktree(repo)
    files = main_checks_files(changes)
    restored = (files["tests/test_calc.py"] or b"").decode()
    assert "from pkg.arith import add" in restored and "assert add(1, 2) == 3" in restored
    copy = tmp_path / "copy"
    git(repo, "worktree", "add", "-q", "--detach", str(copy), changes.base)
    assert apply_main_checks(copy, changes) == ["tests/test_calc.py"]
    assert (copy / "pkg" / "arith.py").is_file() and not (copy / "pkg" / "calc.py").exists()
    assert git(copy, "status", "--porcelain", "--untracked-files=all").splitlines() == [
        "R  pkg/calc.py -> pkg/arith.py",
        "M  tests/test_calc.py",
    ]
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=copy,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0 and "1 passed" in ran.stdout, ran.stdout


def test_a_test_file_that_names_no_moved_module_comes_back_byte_for_byte(tmp_path: Path) -> None:
    test = "# layout and comments kept\nimport os\n\n\ndef test_a():\n    assert os.sep\n"
    repo = make_repo(tmp_path / "repo", {"pkg/calc.py": "X = 1\n", "tests/test_a.py": test})
    git(repo, "mv", "pkg/calc.py", "pkg/arith.py")
    (repo / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    assert main_checks_files(from_worktree(repo))["tests/test_a.py"] == test.encode()


def test_evidence_is_the_diff_of_the_named_files(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"pytest.ini": "[pytest]\n", "pkg/a.py": "X = 1\n"})
    (repo / "pytest.ini").write_text("[pytest]\naddopts = -k 'not slow'\n")
    (repo / "pkg" / "a.py").write_text("X = 2\n")
    shown = evidence(from_worktree(repo), {"pytest.ini"})
    assert shown.startswith("--- a/pytest.ini\n+++ b/pytest.ini\n")
    assert "+addopts = -k 'not slow'\n" in shown and "pkg/a.py" not in shown
