"""The copy main's checks measure: main's tool settings and tests back, new suppressions gone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from self_improving_agent.gates.vet.main_checks import main_checks_files, strip_added_suppressions
from self_improving_agent.git_ops.changeset import from_worktree
from tests.conftest import make_repo

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
