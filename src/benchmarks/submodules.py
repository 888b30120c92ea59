"""Git submodules: an initialised one is part of the measured tree; a missing one is named."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import git
from self_improving_agent.benchmarks.sources import TEST_DIRS, SourceTree, is_test_path

GITLINK = "160000"


def _git(repo: Path, *args: str) -> str:
    """git's output in repo, or "" when git fails (not a repository, no index yet)."""
    try:
        done = git(repo, *args)
    except GitError:
        return ""
    return done.stdout.decode("utf-8", "surrogateescape") if done.returncode == 0 else ""


def submodule_paths(repo: Path) -> list[str]:
    """Repo-relative paths of the submodules in repo's index."""
    entries = _git(repo, "ls-files", "-s", "-z").split("\0")
    return sorted(e.split("\t", 1)[1] for e in entries if e.startswith(GITLINK) and "\t" in e)


def initialised(repo: Path, rel: str) -> bool:
    """Whether a submodule is checked out: its folder holds anything."""
    folder = repo / rel
    return folder.is_dir() and any(folder.iterdir())


def submodule_files(repo: Path) -> list[str]:
    """Files of the checked-out submodules (and theirs), repo-relative, as git lists them."""
    found: list[str] = []
    for rel in submodule_paths(repo):
        if not initialised(repo, rel):
            continue
        inner = _git(repo / rel, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
        nested = set(submodule_paths(repo / rel))
        found += [f"{rel}/{name}" for name in inner if name and name not in nested]
        found += [f"{rel}/{name}" for name in submodule_files(repo / rel)]
    return sorted(found)


def needed_by_tests(rel: str, tree: SourceTree) -> bool:
    """Whether the tests need a submodule: it sits in a test folder or a test file names it."""
    if TEST_DIRS.intersection(PurePosixPath(rel).parts):
        return True
    name = PurePosixPath(rel).name
    return any(name in text for path, text in tree.texts.items() if is_test_path(path))


def missing_submodule(tree: SourceTree) -> str:
    """The sentence naming a submodule the tests need that is not checked out, or ""."""
    for rel in submodule_paths(tree.root):
        if not initialised(tree.root, rel) and needed_by_tests(rel, tree):
            return (
                f"the tests need the git submodule {rel}, which is not checked out; run "
                f"`git submodule update --init {rel}` in the repository and measure again"
            )
    return ""
