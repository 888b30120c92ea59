"""What the CLI prints carries no terminal controls and no secret value, even from old records."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent.base.store import Store
from self_improving_agent.cli.app import app
from tests.conftest import make_repo

TOKEN = "bedrock-" + "Hz5" * 8


def test_an_old_lesson_is_shown_without_escapes_or_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lesson stored before redaction by value (written past the store's redacting writer)."""
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", TOKEN)
    repo = make_repo(tmp_path / "repo")
    with Store.for_repo(repo) as store:
        store._db.execute(
            "INSERT INTO lessons (generation, files, tried, outcome, reason, created_at)"
            " VALUES (1, '[]', ?, 'rejected', ?, 'now')",
            ("plan \x1b]0;owned\x07title", f"token {TOKEN} \x1b[2Jcleared"),
        )
    out = CliRunner().invoke(app, ["lessons", "--repo", str(repo)]).output
    assert "plan title" in out and "token *** cleared" in out
    assert TOKEN not in out and "\x1b" not in out and "\x07" not in out
