"""What the agent did not make in .agent/worktrees is moved aside with a sentence, not deleted."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.git_ops.worktree import GenerationGit
from tests.conftest import git, make_repo


def test_a_users_folder_and_file_in_the_agents_place_are_moved_aside(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    gg = GenerationGit(repo)
    ours = gg.create(3)
    stale = gg.worktrees / "gen-1"
    stale.mkdir(parents=True)
    (stale / "mine.txt").write_text("keep\n", encoding="utf-8")
    (gg.worktrees / "gen-2").write_text("a file\n", encoding="utf-8")
    (gg.worktrees / "gen-4").mkdir()
    removed = gg.cleanup([])
    aside = repo / ".agent" / "set-aside"
    assert (aside / "gen-1" / "mine.txt").read_text(encoding="utf-8") == "keep\n"
    assert (aside / "gen-2").read_text(encoding="utf-8") == "a file\n"
    assert f"{stale} was not made by the agent, so it was moved aside to {aside / 'gen-1'}" in (
        "\n".join(removed)
    )
    # What the agent made (a registered worktree, an empty folder) is simply removed.
    assert not ours.path.exists() and not (gg.worktrees / "gen-4").exists()
    assert "worktree .agent/worktrees/gen-3" in removed
    assert git(repo, "status", "--porcelain") == ""
    # A second folder of the same name never overwrites the first one set aside.
    stale.mkdir()
    (stale / "mine.txt").write_text("second\n", encoding="utf-8")
    gg.cleanup([])
    assert (aside / "gen-1-2" / "mine.txt").read_text(encoding="utf-8") == "second\n"
    assert (aside / "gen-1" / "mine.txt").read_text(encoding="utf-8") == "keep\n"
    # With its place free, generation 1 starts.
    assert gg.create(1).path == stale
