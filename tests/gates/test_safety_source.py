"""The safety gate reads source as Python does: a BOM, CRLF or a cookie is not a new file."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.gates.safety import SafetyValidator
from tests.conftest import git, make_repo

MAIN = b"\xef\xbb\xbfimport os\r\n\r\n\r\ndef listing():\r\n    return os.system('ls')\r\n"


def repo_with(tmp_path: Path, data: bytes) -> Path:
    """A repository whose pkg/tool.py holds exactly these bytes."""
    repo = make_repo(tmp_path / "repo")
    (repo / "pkg").mkdir()
    (repo / "pkg" / "tool.py").write_bytes(data)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "tool")
    return repo


def test_a_bom_crlf_file_is_judged_by_what_the_change_adds(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, MAIN)
    # As a model reading the file with read_text sends it back: BOM character first.
    after = MAIN.decode("utf-8").replace("def listing():", 'def listing():\r\n    """List."""')
    verdict = SafetyValidator(repo).validate_before_write("pkg/tool.py", after)
    assert verdict.allowed, verdict.violations
    without_bom = after.removeprefix("\ufeff")
    assert SafetyValidator(repo).validate_before_write("pkg/tool.py", without_bom).allowed


def test_the_control_the_same_code_in_a_new_file_is_judged_whole(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, MAIN)
    verdict = SafetyValidator(repo).validate_before_write("pkg/other.py", MAIN.decode("utf-8"))
    assert [v.rule for v in verdict.violations] == ["code/os-shell"]


def test_a_latin_1_cookie_file_of_main_is_read_with_its_cookie(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\nimport os\nNAME = 'caf\xe9'\nos.system('ls')\n"
    repo = repo_with(tmp_path, source.encode("latin-1"))
    after = source + "\n\ndef listing():\n    return NAME\n"
    verdict = SafetyValidator(repo).validate_before_write("pkg/tool.py", after)
    # The cookie rule still holds (only UTF-8 is allowed in what the agent writes), and it is
    # the only finding: main's version was read, so nothing it had counts as new.
    assert {v.rule for v in verdict.violations} == {"code/encoding"}
