"""`agent vet` on conftests and tests: what only adds or reorders passes, what could change how
main's tests run is held; strengthened tests and renames with their tests pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.cli.app import app
from tests.conftest import git, make_repo
from tests.gates.test_vet import BASE, vet

runner = CliRunner()
CONFTEST = "import pytest\n\n\n@pytest.fixture\ndef word() -> str:\n    return 'a'\n"
MAIN = {
    "tests/conftest.py": CONFTEST,
    "tests/test_word.py": "def test_word(word):\n    assert word == 'a'\n",
}
FINE = {
    "a fixture under a new name": "\n\n@pytest.fixture\ndef numbers():\n    return [1, 2]\n",
    "a hook that sorts the tests": (
        "\n\ndef pytest_collection_modifyitems(config, items):\n"
        "    items[:] = sorted(items, key=lambda item: item.nodeid)\n"
    ),
    "a hook that reverses them": (
        "\n\ndef pytest_collection_modifyitems(items):\n    items.reverse()\n"
    ),
}
HELD = {
    "a fixture that shadows one main's tests use": (
        "\n\n@pytest.fixture\ndef tmp_path():\n    return 'x'\n\n\ndef test_uses(tmp_path):\n"
        "    pass\n"
    ).replace("\n\ndef test_uses(tmp_path):\n    pass\n", ""),
    "an autouse fixture": "\n\n@pytest.fixture(autouse=True)\ndef ambient():\n    yield\n",
    "a hook that drops tests": (
        "\n\ndef pytest_collection_modifyitems(items):\n    items[:] = items[:1]\n"
    ),
    "a sort key that marks tests": (
        "\n\ndef pytest_collection_modifyitems(items):\n"
        "    items.sort(key=lambda i: i.add_marker('skip'))\n"
    ),
    "a plugin list": "\npytest_plugins = ['helpers']\n",
    "another report hook": "\n\ndef pytest_runtest_makereport(item, call):\n    pass\n",
}


@pytest.mark.parametrize("extra", FINE.values(), ids=FINE.keys())
def test_a_conftest_that_only_adds_or_reorders_passes(tmp_path: Path, extra: str) -> None:
    code, report = vet(tmp_path, {"tests/conftest.py": CONFTEST + extra}, base=MAIN)
    assert code == 0, report


@pytest.mark.parametrize("extra", HELD.values(), ids=HELD.keys())
def test_a_conftest_that_may_change_main_tests_is_held(tmp_path: Path, extra: str) -> None:
    base = {**MAIN, "tests/test_tmp.py": "def test_tmp(tmp_path):\n    assert tmp_path\n"}
    code, report = vet(tmp_path, {"tests/conftest.py": CONFTEST + extra}, base=base)
    assert code == 3, report


def test_a_new_conftest_with_only_a_fixture_passes(tmp_path: Path) -> None:
    code, report = vet(tmp_path, {"tests/unit/conftest.py": CONFTEST.replace("word", "fresh")})
    assert code == 0, report


OLD = (
    "from sample.core import status\n\n\ndef test_status(capsys):\n"
    "    done = status()\n    assert done is not None\n"
)


def test_assertions_on_what_the_test_already_computed_strengthen_it(tmp_path: Path) -> None:
    stronger = OLD + (
        "    text = str(done).strip()\n    assert text.split()[0]\n"
        "    assert done.args[0].upper() == 'GIT'\n"
    )
    code, report = vet(tmp_path, {"tests/test_s.py": stronger}, base={"tests/test_s.py": OLD})
    assert code == 0, report


def test_a_module_renamed_with_its_test_and_a_package_import_passes(tmp_path: Path) -> None:
    files = {
        **BASE,
        "sample/fmt.py": "def f():\n    return 1\n",
        "tests/test_fmt.py": "from sample import fmt\n\n\ndef test_f():\n    assert fmt.f() == 1\n",
    }
    repo = make_repo(tmp_path / "repo", files)
    git(repo, "mv", "sample/fmt.py", "sample/render.py")
    git(repo, "mv", "tests/test_fmt.py", "tests/test_render.py")
    test = repo / "tests" / "test_render.py"
    test.write_text(
        test.read_text().replace("import fmt", "import render as fmt"), encoding="utf-8"
    )
    result = runner.invoke(app, ["vet", "--repo", str(repo), "--json"])
    assert result.exit_code == 0, json.loads(result.stdout)
