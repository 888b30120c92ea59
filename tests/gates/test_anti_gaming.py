"""anti_gaming: lost tests, new suppressions, loosened tool config and outcome-rewriting hooks."""

from __future__ import annotations

import ast
import textwrap

import pytest

from self_improving_agent.gates.anti_gaming import count_suppressions, lost_tests
from self_improving_agent.gates.outcome_hooks import OUTCOME_HOOK, outcome_hooks
from self_improving_agent.gates.tool_config import loosened_tool_config


def test_lost_tests_names_each_lost_state() -> None:
    before = {"t::a": "passed", "t::b": "passed", "t::c": "passed", "t::d": "passed"}
    before |= {"t::e": "passed", "t::f": "failed"}
    after = {"t::b": "skipped", "t::c": "failed", "t::d": "error", "t::e": "passed"}
    assert lost_tests(before, after) == [
        "anti-gaming/lost-test: t::a passed before and is missing now",
        "anti-gaming/lost-test: t::b passed before and is skipped now",
        "anti-gaming/lost-test: t::c passed before and is failing now",
        "anti-gaming/lost-test: t::d passed before and is erroring now",
    ]


def test_lost_tests_ignores_new_and_previously_failing_tests() -> None:
    assert lost_tests({"t::old": "failed"}, {"t::new": "failed"}) == []


def test_suppressions_count_comments_not_strings() -> None:
    assert (
        count_suppressions("a.py", 'x = 1  # noqa: E501\ny = "# noqa"  # type: ignore[misc]\n') == 2
    )
    assert (
        count_suppressions("b.py", "if x:  # pragma: no cover\n    pass  # type: ignore  # noqa\n")
        == 3
    )


def test_file_level_suppressions_count() -> None:
    assert count_suppressions("a.py", "# ruff: noqa\n# mypy: ignore-errors\n") == 2


def test_broken_python_falls_back_to_counting_every_comment_tail() -> None:
    assert count_suppressions("a.py", 'x = (\n"# noqa"\n') == 1


def test_prose_is_not_read_for_suppressions_but_scripts_are() -> None:
    prose = "Write `# noqa: E501` or `# type: ignore` only with a reason.\n"
    assert count_suppressions("README.md", prose) == 0
    assert count_suppressions("docs/guide.rst", prose) == 0
    assert count_suppressions("bin/tool", "#!/usr/bin/env python3\nx = 1  # noqa\n") == 1


PYPROJECT = """
[project]
version = "1.0"

[tool.ruff]
line-length = 100

[tool.ruff.lint]
select = ["E", "F", "B"]
ignore = ["E741"]

[tool.mypy]
strict = true

[tool.coverage.report]
fail_under = 90

[tool.pytest.ini_options]
addopts = "-q --strict-markers"
"""

LOOSER = [
    ("ruff-ignore-added", 'ignore = ["E741"]', 'ignore = ["E741", "E501"]', "E501"),
    ("ruff-select-removed", 'select = ["E", "F", "B"]', 'select = ["E", "F"]', "'B'"),
    ("ruff-line-length-raised", "line-length = 100", "line-length = 200", "line-length"),
    (
        "ruff-per-file-ignores",
        'ignore = ["E741"]',
        'ignore = ["E741"]\n[tool.ruff.lint.per-file-ignores]\n"src/*" = ["E"]',
        "per-file-ignores",
    ),
    ("ruff-exclude-added", "line-length = 100", 'line-length = 100\nexclude = ["src"]', "src"),
    ("mypy-strict-off", "strict = true", "strict = false", "turned off"),
    (
        "mypy-override-ignore-errors",
        "strict = true",
        'strict = true\n[[tool.mypy.overrides]]\nmodule = ["src.*"]\nignore_errors = true',
        "ignore_errors",
    ),
    ("coverage-lowered", "fail_under = 90", "fail_under = 50", "fail_under"),
    ("coverage-removed", "fail_under = 90", "", "removed"),
    ("pytest-no-plugin", '"-q --strict-markers"', '"-q --strict-markers -p no:warnings"', "no:"),
    ("pytest-deselect", '"-q --strict-markers"', '"-q --strict-markers --deselect t::a"', "t::a"),
    ("pytest-ignore", '"-q --strict-markers"', '"-q --strict-markers --ignore=tests"', "ignore"),
    ("pytest-strict-dropped", '"-q --strict-markers"', '"-q"', "--strict-markers"),
    ("pytest-keyword", '"-q --strict-markers"', "\"-q --strict-markers -k 'not slow'\"", "-k"),
]


@pytest.mark.parametrize(
    ("old", "new", "expect"),
    [(o, n, e) for _, o, n, e in LOOSER],
    ids=[i for i, _, _, _ in LOOSER],
)
def test_pyproject_loosening_is_reported(old: str, new: str, expect: str) -> None:
    found = loosened_tool_config("pyproject.toml", PYPROJECT, PYPROJECT.replace(old, new))
    assert found, "expected a loosening"
    assert all(
        text.startswith("anti-gaming/loosened-config: pyproject.toml [tool.") for text in found
    )
    assert any(expect in text for text in found)


TIGHTER = [
    ("ruff-select-added", 'select = ["E", "F", "B"]', 'select = ["E", "F", "B", "UP"]'),
    ("ruff-ignore-emptied", 'ignore = ["E741"]', "ignore = []"),
    ("line-length-lowered", "line-length = 100", "line-length = 88"),
    ("coverage-raised", "fail_under = 90", "fail_under = 95"),
    ("mypy-warn-added", "strict = true", "strict = true\nwarn_unreachable = true"),
    ("pytest-verbose", '"-q --strict-markers"', '"-q --strict-markers -ra --tb=short"'),
    ("other-table", 'version = "1.0"', 'version = "1.1"'),
]


@pytest.mark.parametrize(
    ("old", "new"), [(o, n) for _, o, n in TIGHTER], ids=[i for i, _, _ in TIGHTER]
)
def test_pyproject_tightening_passes(old: str, new: str) -> None:
    assert loosened_tool_config("pyproject.toml", PYPROJECT, PYPROJECT.replace(old, new)) == []


SETUP_CFG = """
[metadata]
name = x

[mypy]
strict = True

[flake8]
max-line-length = 100
extend-ignore = E203

[tool:pytest]
addopts = -q

[coverage:report]
fail_under = 80
"""


@pytest.mark.parametrize(
    ("old", "new", "expect"),
    [
        ("strict = True", "strict = False", "[mypy] strict: turned off"),
        ("extend-ignore = E203", "extend-ignore = E203, E501", "E501"),
        ("max-line-length = 100", "max-line-length = 150", "max-line-length"),
        ("addopts = -q", "addopts = -q -p no:randomly", "no:randomly"),
        ("fail_under = 80", "fail_under = 10", "[coverage:report] fail_under"),
        ("strict = True", "strict = True\n[mypy-src.*]\nignore_errors = True", "ignore_errors"),
    ],
)
def test_setup_cfg_loosening_is_reported(old: str, new: str, expect: str) -> None:
    found = loosened_tool_config("setup.cfg", SETUP_CFG, SETUP_CFG.replace(old, new))
    assert any(expect in text for text in found), found


def test_setup_cfg_other_sections_are_free() -> None:
    assert loosened_tool_config("setup.cfg", SETUP_CFG, SETUP_CFG.replace("= x", "= y")) == []


def test_unparsable_config_fails_closed() -> None:
    [text] = loosened_tool_config("pyproject.toml", PYPROJECT, PYPROJECT + "\n[tool.ruff\n")
    assert "does not parse" in text


def test_new_ruff_toml_counts_every_key() -> None:
    assert loosened_tool_config("sub/ruff.toml", "", 'exclude = ["src"]\n')


def test_other_files_are_not_tool_config() -> None:
    assert loosened_tool_config("README.md", "a", "b") == []


def hook_findings(source: str) -> list[str]:
    """Rule ids outcome_hooks reports for a snippet."""
    return [f.rule for f in outcome_hooks(ast.parse(textwrap.dedent(source)))]


HOOKS = [
    ("makereport", "def pytest_runtest_makereport(item, call):\n    pass\n"),
    (
        "hookwrapper",
        "import pytest\n@pytest.hookimpl(hookwrapper=True)\n"
        "def pytest_runtest_makereport(item, call):\n    yield\n",
    ),
    ("logreport", "def pytest_runtest_logreport(report):\n    report.outcome = 'passed'\n"),
    (
        "teststatus",
        "def pytest_report_teststatus(report, config):\n    return 'passed', '.', 'OK'\n",
    ),
    ("pyfunc-call", "def pytest_pyfunc_call(pyfuncitem):\n    return True\n"),
    (
        "sessionfinish",
        "def pytest_sessionfinish(session, exitstatus):\n    session.exitstatus = 0\n",
    ),
    (
        "terminal-summary",
        "def pytest_terminal_summary(terminalreporter):\n"
        "    terminalreporter.stats.pop('failed', None)\n",
    ),
    ("ignore-collect", "def pytest_ignore_collect(collection_path, config):\n    return True\n"),
    ("plugin-class", "class Plugin:\n    def pytest_runtest_protocol(self, item):\n        pass\n"),
    ("assigned", "def f(*a):\n    pass\npytest_runtest_makereport = f\n"),
    ("setattr", "import sys\nsetattr(sys.modules[__name__], 'pytest_runtest_call', f)\n"),
    (
        "modifyitems-deselect",
        "def pytest_collection_modifyitems(config, items):\n"
        "    config.hook.pytest_deselected(items=items[:1])\n    items[:] = items[1:]\n",
    ),
    (
        "modifyitems-remove",
        "def pytest_collection_modifyitems(items):\n    items.remove(items[0])\n",
    ),
    (
        "modifyitems-skip",
        "import pytest\ndef pytest_collection_modifyitems(items):\n"
        "    for item in items:\n        item.add_marker(pytest.mark.skip)\n",
    ),
    ("modifyitems-del", "def pytest_collection_modifyitems(items):\n    del items[0]\n"),
]


@pytest.mark.parametrize("source", [s for _, s in HOOKS], ids=[i for i, _ in HOOKS])
def test_outcome_hooks_are_found(source: str) -> None:
    assert OUTCOME_HOOK in hook_findings(source)


@pytest.mark.parametrize(
    "source",
    [
        "def pytest_collection_modifyitems(items):\n    items.sort(key=lambda i: i.name)\n",
        "import pytest\n@pytest.fixture\ndef client():\n    return 1\n",
        "def pytest_addoption(parser):\n    parser.addoption('--slow')\n",
        "def test_x():\n    report = {'outcome': 'failed'}\n    assert report\n",
    ],
    ids=["modifyitems-sort", "fixture", "addoption", "plain-test"],
)
def test_ordinary_conftest_passes(source: str) -> None:
    assert hook_findings(source) == []
