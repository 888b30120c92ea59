"""No program named in the user's git config runs during the agent's own git work."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from self_improving_agent.git_ops.worktree import GenerationGit
from tests.conftest import git, make_repo
from tests.git_ops.test_merge_integrity import consistent_after, generation

# Every key whose value git runs as a program (or that makes git run one), each pointing at a
# script that leaves a marker named after the key. Filter and merge drivers are not here on
# purpose: they define what the files' bytes are and how they merge, so they run as in any
# checkout; transport programs (ssh, credential helper) only run for GitHub mode's push.
PROGRAM_KEYS = (
    "core.fsmonitor",
    "core.pager",
    "core.editor",
    "sequence.editor",
    "core.askPass",
    "core.sshCommand",
    "core.alternateRefsCommand",
    "diff.external",
    "diff.shout.command",
    "diff.shout.textconv",
    "gpg.program",
    "gpg.openpgp.program",
    "gpg.ssh.program",
    "credential.helper",
)
SWITCHES = {
    "commit.gpgSign": "true",
    "tag.gpgSign": "true",
    "log.showSignature": "true",
    "merge.verifySignatures": "true",
    "protocol.ext.allow": "always",
    "pager.diff": "true",
}


def ran(markers: Path) -> list[str]:
    """The markers of the programs that ran."""
    return sorted(p.name for p in markers.glob("*.ran"))


def _program(folder: Path, key: str) -> str:
    """A script that records that key's program ran, and fails."""
    script = folder / f"{key}.sh"
    script.write_text(f"#!/bin/sh\necho ran >> '{folder / key}.ran'\nexit 1\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


@pytest.fixture
def armed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A repository whose local, included and global config name a marker program per key."""
    repo = make_repo(tmp_path / "repo", {"app.py": "x = 1\n", "log.txt": "a\n"})
    markers = tmp_path / "markers"
    markers.mkdir()
    half = len(PROGRAM_KEYS) // 2
    included = tmp_path / "included.gitconfig"
    global_config = tmp_path / "global.gitconfig"
    for key in PROGRAM_KEYS[:half]:
        git(repo, "config", key, _program(markers, key))
    for key in PROGRAM_KEYS[half:]:
        git(repo, "config", "--file", str(included), key, _program(markers, key))
    for key, value in SWITCHES.items():
        git(repo, "config", "--file", str(global_config), key, value)
    # Included only for this repository, as a user's per-project settings would be.
    git(repo, "config", f"includeIf.gitdir:{repo}/.git.path", str(included))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", _program(markers, "GIT_EXTERNAL_DIFF"))
    monkeypatch.setenv("GIT_PAGER", _program(markers, "GIT_PAGER"))
    monkeypatch.setenv("GIT_EDITOR", _program(markers, "GIT_EDITOR"))
    attributes = "*.py diff=shout\n*.txt diff=shout\n"
    (repo / ".gitattributes").write_text(attributes, encoding="utf-8")
    git(repo, "-c", "commit.gpgSign=false", "add", ".gitattributes")
    git(repo, "-c", "commit.gpgSign=false", "commit", "-q", "-m", "attributes")
    for marker in markers.glob("*.ran"):
        marker.unlink()
    return repo, markers


def test_no_program_of_the_users_config_runs_in_a_generation_and_its_merge(
    armed: tuple[Path, Path],
) -> None:
    repo, markers = armed
    gg = GenerationGit(repo)
    ws = generation(gg, 1, {"app.py": "x = 2\n", "log.txt": "a\nb\n"})
    assert "x = 2" in gg.diff(ws) and gg.changed_files(ws) == ["app.py", "log.txt"]
    assert ran(markers) == []
    # main moves meanwhile, touching the same file, so the merge is a real three-way merge;
    # the user's own git runs their programs (the control), the agent's next steps none.
    (repo / "log.txt").write_text("z\na\n", encoding="utf-8")
    git(repo, "-c", "commit.gpgSign=false", "commit", "-q", "-am", "user")
    subprocess.run(["git", "diff", "HEAD~1"], cwd=repo, capture_output=True, check=False)
    assert {"core.fsmonitor.ran", "diff.shout.command.ran"} <= set(ran(markers))
    for marker in markers.glob("*.ran"):
        marker.unlink()
    assert gg.lock_problem() is None
    merged = gg.merge(ws)
    assert (repo / "log.txt").read_text(encoding="utf-8") == "z\na\nb\n"
    gg.revert(merged)
    gg.cleanup([])
    assert ran(markers) == []
    # Checked last: the test's own git (a user's) runs the fsmonitor.
    consistent_after(repo, "main")
    assert (repo / "log.txt").read_text(encoding="utf-8") == "z\na\n"
