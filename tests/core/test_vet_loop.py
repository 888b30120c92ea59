"""The loop holds what `agent vet` holds: an auto-merging generation waits for a person."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import git
from tests.core.test_main_tests import DOCUMENTED, generation

# mul documented (the score gain) and reading a credential at import (covered, so no loss).
WITH_TOKEN = DOCUMENTED.replace(
    '"""Products."""\n', '"""Products."""\n\nimport os\n\nTOKEN = os.environ.get("API_TOKEN", "")\n'
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({".github/workflows/ci.yml": "on: pull_request_target\n"}, "CI workflows"),
        ({"pkg/mul.py": WITH_TOKEN}, "gains reads credentials from the environment"),
        ({"Makefile": "all:\n\ttrue\n"}, "make runs its recipes"),
    ],
    ids=["workflow", "credential", "user-makefile"],
)
def test_what_needs_a_person_stays_pending_with_auto_merge(
    tmp_path: Path, changes: dict[str, str], why: str
) -> None:
    outcome, repo = generation(tmp_path, changes)
    assert outcome.status == "pending", outcome.reason
    assert "waiting for a person to `agent merge 1`" in outcome.reason
    assert why in outcome.reason
    assert "agent/gen-1" in git(repo, "branch", "--list", "agent/gen-1")


@pytest.mark.slow
def test_a_users_own_envs_package_is_theirs_to_change(tmp_path: Path) -> None:
    """The agent's src/envs/ means nothing in another repository: theirs merges like any code."""
    package = {"src/envs/__init__.py": '"""Our own environments."""\n'}
    outcome, repo = generation(tmp_path, package)
    assert outcome.status == "accepted", outcome.reason
    assert "src/envs/__init__.py" in git(repo, "ls-tree", "-r", "--name-only", "main")
