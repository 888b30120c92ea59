"""SafetyValidator: path rules, protected tables and functions, code rules, hooks, own source."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from self_improving_agent.base.config_load import load_settings
from self_improving_agent.base.safety_config import SafetySection
from self_improving_agent.gates.safety import SafetyValidator, SafetyVerdict
from tests.conftest import make_repo

PROJECT = Path(__file__).resolve().parents[2]

LOOP = '''"""Loop."""


def helper(x: int) -> int:
    """Help."""
    return x + 1


def make_merge_decision(score: float) -> bool:
    """Decide."""
    return score > 0.5
'''

AGENT_TOML = """[agent]
model = "m"

[safety]
max_files_per_generation = 10
protected_paths = ["src/gates/safety.py"]
"""


# A user who protects paths and functions of their own, as the agent once did over its source.
OWN = SafetySection(
    protected_paths=[*SafetySection().protected_paths, "src/gates/", "src/policies/", ".ci/"],
    protected_functions=["src/gates/decision.py:make_merge_decision"],
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A repository with a protected function and a config file with a [safety] table."""
    return make_repo(
        tmp_path / "repo",
        {
            "src/gates/decision.py": LOOP,
            "config/agent.toml": AGENT_TOML,
            "src/gates/safety.py": '"""Gate."""\n',
            "README.md": "# r\n",
            "pyproject.toml": "[tool.setuptools]\n"
            'package-dir = { "self_improving_agent" = "src" }\n',
        },
    )


def rules(verdict: SafetyVerdict) -> set[str]:
    """The rule ids of a verdict, checking allowed agrees with them."""
    assert verdict.allowed == (not verdict.violations)
    return {v.rule for v in verdict.violations}


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("/etc/passwd", "path/absolute"),
        ("~/.bashrc", "path/absolute"),
        ("../outside.py", "path/escape"),
        ("src/../../outside.py", "path/escape"),
        ("src/../README.md", "path/escape"),
        (".git/config", "path/git"),
        (".git/hooks/pre-commit", "path/git"),
        ("vendor/.git/HEAD", "path/git"),
        (".GIT/config", "path/git"),
        ("src/gates/safety.py", "path/protected"),
        ("./src/gates/safety.py", "path/protected"),
        ("src//gates/./safety.py", "path/protected"),
        ("SRC/Gates/Safety.py", "path/protected"),
        ("src/policies/new.cedar", "path/protected"),
        (".ci/run", "path/protected"),
        (".env", "path/blocked"),
        ("config/.env.local", "path/blocked"),
        ("certs/server.pem", "path/blocked"),
        ("deploy/id.KEY", "path/blocked"),
        ("", "path/invalid"),
        ("src\\core\\safety.py", "path/invalid"),
        ("src", "path/invalid"),
    ],
)
def test_path_rules(root: Path, path: str, rule: str) -> None:
    verdict = SafetyValidator(root, OWN, code_rules=False).validate_before_write(path, "x = 1\n")
    assert rule in rules(verdict)
    assert all(repr(path) in v.message for v in verdict.violations)


@pytest.mark.parametrize("path", ["src/core/new.py", "README.md", "docs/policies.md", "env.py"])
def test_ordinary_paths_pass(root: Path, path: str) -> None:
    assert SafetyValidator(root).validate_before_write(path, '"""Doc."""\n').allowed


def test_symlink_out_of_the_root_is_an_escape(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    verdict = SafetyValidator(root).validate_before_write("link/x.py", "x = 1\n")
    assert rules(verdict) == {"path/escape"}
    assert not (outside / "x.py").exists()


def test_symlink_to_a_protected_file_is_protected(root: Path) -> None:
    (root / "innocent.py").symlink_to(root / "src/gates/safety.py")
    verdict = SafetyValidator(root, OWN).validate_before_write("innocent.py", '"""Gone."""\n')
    assert rules(verdict) == {"path/protected"}


def test_other_table_of_agent_toml_may_change(root: Path) -> None:
    content = AGENT_TOML.replace('model = "m"', 'model = "other"')
    assert SafetyValidator(root).validate_before_write("config/agent.toml", content).allowed


@pytest.mark.parametrize(
    "content",
    [
        AGENT_TOML.replace("= 10", "= 1000"),
        AGENT_TOML.replace('["src/gates/safety.py"]', "[]"),
        AGENT_TOML.split("[safety]")[0],
        AGENT_TOML + "[safety.extra]\nx = 1\n",
        AGENT_TOML + "[broken\n",
    ],
    ids=["value", "list", "table-removed", "sub-table", "unparsable"],
)
def test_safety_table_may_not_change(root: Path, content: str) -> None:
    # A table a user protects; the judge's own settings are held by the decision instead.
    table = SafetySection(protected_paths=["config/agent.toml:[safety]"])
    verdict = SafetyValidator(root, table).validate_before_write("config/agent.toml", content)
    assert rules(verdict) == {"path/protected-table"}


def test_edit_elsewhere_in_protected_file_passes(root: Path) -> None:
    content = LOOP.replace("x + 1", "x + 2").replace('"""Loop."""', '"""Loop.\n\nMore."""\n\nA = 1')
    # The folder is protected too; this test is about the function rule alone.
    validator = SafetyValidator(root, SafetySection(protected_paths=[]))
    assert validator.validate_before_write("src/gates/decision.py", content).allowed


@pytest.mark.parametrize(
    "content",
    [
        LOOP.replace("score > 0.5", "True"),
        LOOP.replace('"""Decide."""', '"""Decide better."""'),
        LOOP.replace("make_merge_decision", "_old_decision"),
        LOOP.split("def make_merge_decision")[0],
        LOOP + "\n\ndef make_merge_decision(score: float) -> bool:\n    return True\n",
        LOOP + "\nmake_merge_decision = helper\n",
        LOOP + "\nif True:\n    from os.path import exists as make_merge_decision\n",
        LOOP + "\ndef hijack() -> None:\n    global make_merge_decision\n",
        LOOP + "\nglobals()['make_merge_decision'] = helper\n",
    ],
    ids=[
        "body",
        "docstring",
        "renamed",
        "deleted",
        "redefined",
        "reassigned",
        "imported-over",
        "global",
        "globals-dict",
    ],
)
def test_protected_function_may_not_change(root: Path, content: str) -> None:
    verdict = SafetyValidator(root, OWN).validate_before_write("src/gates/decision.py", content)
    assert "protected-function" in rules(verdict)


@pytest.mark.parametrize(
    "content",
    [
        "from self_improving_agent.gates import decision as loop\n"
        "loop.make_merge_decision = lambda s: True\n",
        "import self_improving_agent.gates.decision as l\n"
        "setattr(l, 'make_merge_decision', print)\n",
    ],
)
def test_protected_function_may_not_be_rebound_from_another_file(root: Path, content: str) -> None:
    verdict = SafetyValidator(root, OWN).validate_before_write("src/core/other.py", content)
    assert rules(verdict) == {"protected-function"}


def test_new_file_defining_a_protected_name_passes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r")
    validator = SafetyValidator(repo, SafetySection(protected_paths=[]))
    assert validator.validate_before_write("src/gates/decision.py", LOOP).allowed


def test_code_rules_apply_to_python(root: Path) -> None:
    verdict = SafetyValidator(root).validate_before_write(
        "src/tool.py", "import os\n\n\nos.system('ls')\n"
    )
    assert [(v.rule, v.line) for v in verdict.violations] == [("code/os-shell", 4)]
    assert verdict.violations[0].message.startswith("src/tool.py: ")


def test_python_script_without_suffix_is_scanned(root: Path) -> None:
    content = "#!/usr/bin/env python3\nimport pickle\npickle.loads(data)\n"
    assert rules(SafetyValidator(root).validate_before_write("bin/tool", content)) == {
        "code/pickle-marshal"
    }


def test_no_safety_turns_off_code_rules_only(root: Path) -> None:
    validator = SafetyValidator(root, code_rules=False)
    assert validator.validate_before_write("src/tool.py", "import os\nos.system('ls')\n").allowed
    assert rules(validator.validate_before_write(".git/x.py", "x = 1\n")) == {"path/git"}
    assert rules(validator.validate_before_write("a.py", "def (:\n")) == {"code/syntax"}
    conftest = "def pytest_runtest_makereport(item, call):\n    pass\n"
    assert rules(validator.validate_before_write("tests/conftest.py", conftest)) == {
        "anti-gaming/outcome-hook"
    }


def test_unparsable_python_is_refused_with_its_line(root: Path) -> None:
    verdict = SafetyValidator(root).validate_before_write("a.py", "x = 1\ny = (\n")
    assert rules(verdict) == {"code/syntax"}
    assert verdict.violations[0].line >= 2


def test_ordinary_conftest_passes(root: Path) -> None:
    content = (
        '"""Fixtures."""\n\nimport pytest\n\n\n@pytest.fixture\ndef n() -> int:\n    return 1\n'
    )
    assert SafetyValidator(root).validate_before_write("tests/conftest.py", content).allowed


def test_loosened_pyproject_is_written_and_left_to_main_s_checks(tmp_path: Path) -> None:
    """Main's settings measure the change and `agent vet` holds the loosening for a person."""
    before = '[tool.ruff.lint]\nselect = ["E", "F"]\n'
    repo = make_repo(tmp_path / "r", {"pyproject.toml": before})
    verdict = SafetyValidator(repo).validate_before_write(
        "pyproject.toml", before.replace('"E", "F"', '"E"')
    )
    assert verdict.allowed


def test_configured_lists_are_used(root: Path) -> None:
    safety = SafetySection(
        protected_paths=["README.md"], blocked_patterns=["*.secret"], protected_functions=[]
    )
    validator = SafetyValidator(root, safety)
    assert rules(validator.validate_before_write("README.md", "x")) == {"path/protected"}
    assert rules(validator.validate_before_write("a.secret", "x")) == {"path/blocked"}
    assert validator.validate_before_write("src/gates/safety.py", '"""Gate."""\n').allowed


# The sandbox must call libc itself (prctl, Landlock, seccomp, unshare and mount). These files are
# protected, so no generation may write them; with the escape probes, which make the keyring and
# SysV calls an attacker would, they are the only places native calls are allowed.
NATIVE_BY_DESIGN = {
    "src/sandbox/landlock.py",
    "src/sandbox/sandbox.py",
    "src/base/seccomp.py",
    "src/base/namespaces.py",
    "tests/sandbox/escape_probes.py",
}
# The checkout shim loads this tree's src/ under the package name, by design.
SHIM_RULES = {"code/loader"}


def own_files() -> list[Path]:
    """Every Python file of the project's own source: src/, tests/ and main.py."""
    files = [PROJECT / "main.py", *sorted((PROJECT / "src").rglob("*.py"))]
    return files + sorted((PROJECT / "tests").rglob("*.py"))


def test_own_source_passes_its_own_validator() -> None:
    # Protected files are judged by their content here, as if their path were writable.
    safety = load_settings(PROJECT, environ={}).safety.model_copy(update={"protected_paths": []})
    validator = SafetyValidator(PROJECT, safety)
    refused = {}
    for path in own_files():
        rel = path.relative_to(PROJECT).as_posix()
        verdict = validator.validate_before_write(rel, path.read_text(encoding="utf-8"))
        rules = {v.rule for v in verdict.violations}
        by_design = (rel in NATIVE_BY_DESIGN and rules == {"code/native"}) or (
            rel == "main.py" and rules == SHIM_RULES
        )
        if not verdict.allowed and not by_design:
            refused[rel] = [v.message for v in verdict.violations]
    assert len(own_files()) > 20
    assert refused == {}


def test_unreadable_symlink_loop_is_refused(root: Path) -> None:
    os.symlink("loop_b", root / "loop_a")
    os.symlink("loop_a", root / "loop_b")
    verdict = SafetyValidator(root).validate_before_write("loop_a/x.py", "x = 1\n")
    assert rules(verdict) == {"path/escape"}
