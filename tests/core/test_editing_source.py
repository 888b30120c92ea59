"""An edit of a BOM file, sent back with its BOM as a model reads it, keeps one BOM and CRLF."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.base.models import Change
from self_improving_agent.core.editing import apply_changes
from tests.conftest import git, make_repo

MAIN = b"\xef\xbb\xbfimport os\r\nimport sys\r\n\r\n\r\ndef add(a, b):\r\n    return a + b"


def test_a_whole_file_write_with_the_bom_character_is_a_one_line_diff(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {".gitattributes": "*.py -text\n"})
    (repo / "calc.py").write_bytes(MAIN)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "calc")
    content = MAIN.decode("utf-8").replace("import sys\r\n", "")
    assert content.startswith("\ufeff")
    [result] = apply_changes(repo, [Change(file="calc.py", content=content)], [])
    assert result.applied, result.error
    data = (repo / "calc.py").read_bytes()
    assert data == MAIN.replace(b"import sys\r\n", b"")
    assert git(repo, "diff", "--numstat").split() == ["0", "1", "calc.py"]
