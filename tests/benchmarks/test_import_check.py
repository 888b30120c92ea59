"""import_check: every package module imported in a subprocess, failures named."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.benchmarks import import_check
from self_improving_agent.benchmarks.import_check import score_imports
from tests.benchmarks.conftest import context
from tests.conftest import make_repo


def test_src_layout_modules_import_and_failures_are_named(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {
            "src/lib/__init__.py": "",
            "src/lib/ok.py": "from lib import helper\n",
            "src/lib/helper.py": "VALUE = 1\n",
            "src/lib/bad.py": "import does_not_exist\n",
            "src/lib/quits.py": "raise SystemExit(3)\n",
        },
    )
    result = import_check.run(context(repo, tmp_path / "s"), 60)
    assert (result.raw["importable"], result.raw["total"]) == (3, 5)
    assert "No module named 'does_not_exist'" in result.raw["errors"]["lib.bad"]
    assert "SystemExit" in result.raw["errors"]["lib.quits"]
    assert result.score == 0.6


def test_a_single_module_project_is_measured(tmp_path: Path) -> None:
    """Like six: one six.py at the top, beside tool scripts that must never be imported."""
    repo = make_repo(
        tmp_path / "r",
        {
            "six.py": "VALUE = 1\n",
            "broken.py": "import does_not_exist\n",
            "setup.py": "raise SystemExit('setup.py must not run')\n",
            "conftest.py": "",
            "test_six.py": "import six\n",
            "docs/conf.py": "",
        },
    )
    result = import_check.run(context(repo, tmp_path / "s"), 60)
    assert (result.status, result.raw["importable"], result.raw["total"]) == ("ok", 1, 2)
    assert list(result.raw["errors"]) == ["broken"]


def test_no_modules_is_nothing_to_measure(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"setup.py": "print(1)\n", "docs/conf.py": ""})
    result = import_check.run(context(repo, tmp_path / "s"), 60)
    assert (result.status, result.score) == ("failed", 0.0)
    assert score_imports(0, 0) == 0.0


def test_thousands_of_modules_pass_through_a_file_not_argv(tmp_path: Path) -> None:
    # 3,000 modules under a deep folder make a JSON list of about 500 KiB: as one argv string
    # it is refused by the kernel (MAX_ARG_STRLEN is 128 KiB) with "Argument list too long".
    folders = ["src/" + "/".join(["nested_folder_name"] * depth) for depth in range(1, 7)]
    files = {f"{folder}/__init__.py": "" for folder in folders}
    files.update({f"{folders[-1]}/module_number_{n:05d}.py": "" for n in range(3000)})
    repo = make_repo(tmp_path / "r", files)
    result = import_check.run(context(repo, tmp_path / "s"), 300)
    assert (result.status, result.raw["total"], result.raw["importable"]) == ("ok", 3006, 3006)
