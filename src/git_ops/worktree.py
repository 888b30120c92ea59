"""A generation's git life: its own worktree and branch, then merged into main or rejected."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from self_improving_agent.base.errors import GitError, MergeRefused
from self_improving_agent.base.exclude import ensure_excluded
from self_improving_agent.base.gitcmd import SHOWN_DIFF
from self_improving_agent.git_ops.gitlocks import lock_problem
from self_improving_agent.git_ops.mainline import (
    advance_main,
    checkout_note,
    list_worktrees,
    merge_onto,
)
from self_improving_agent.git_ops.runner import failure, out, paths, repo_root, run
from self_improving_agent.git_ops.trees import (
    add_worktree,
    common_dir,
    drop_worktree,
    namespace,
    pin_worktree,
    registered,
)
from self_improving_agent.git_ops.workspace import Workspace, real_path

WORKTREES = Path(".agent") / "worktrees"
BRANCH_PREFIX = "agent/gen-"
REJECTED_PREFIX = "refs/agent/rejected/gen-"
_GEN_NAME = re.compile(r"gen-(\d+)")
_ANY_NUMBER = re.compile(r"(?:^|/)gen-(\d+)(?:\.json)?$")
_THROWAWAY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

__all__ = ["GenerationGit", "GitError", "MergeRefused", "Workspace"]


class GenerationGit:
    """Worktrees, branches, merges and reverts for the generations of one repository."""

    def __init__(self, repo: Path, main_branch: str = "main") -> None:
        """Bind to the repository whose top folder is repo; main_branch is its main line."""
        self.root = repo_root(repo)
        self.main_branch = main_branch
        self.worktrees = self.root / WORKTREES
        self.common = common_dir(self.root)
        self.space = namespace(self.root)
        # The agent's own record in git, which outlives the store: which agent/gen-N it made,
        # and which commit each generation put on main (so a stop before the store learnt of
        # it is recovered to the truth).
        self.owned_prefix = f"refs/agent/{self.space}owned/gen-"
        self.merged_prefix = f"refs/agent/{self.space}merged/gen-"
        self.branch_prefix = f"agent/{self.space}gen-"
        self.rejected_prefix = f"refs/agent/{self.space}rejected/gen-"
        # A blob naming the branch generation N was built from, the one it merges into.
        self.from_prefix = f"refs/agent/{self.space}from/gen-"

    def main_sha(self, branch: str = "") -> str:
        """The commit the main line (or branch) points at; GitError when it does not exist."""
        name = branch or self.main_branch
        sha = self._resolve(f"refs/heads/{name}")
        if sha is None:
            raise GitError(
                f"Branch '{name}' does not exist in {self.root}; create it or set "
                "[agent] main_branch to your main line."
            )
        return sha

    def lock_problem(self, branch: str = "", also: Sequence[str] = ()) -> str | None:
        """One sentence on a git lock that would stop the main line's move (or also's), or None."""
        name = branch or self.main_branch
        return lock_problem(self.root, self.common, name, self.main_sha(name), also)

    def checkout_note(self, branch: str) -> str:
        """What moving branch did to checkouts, when that was not simply the user's own."""
        return checkout_note(self.root, branch)

    def built_from(self, n: int) -> str:
        """The branch generation N was built from (the main line for generations before that)."""
        done = run(self.root, "cat-file", "blob", f"{self.from_prefix}{n}", check=False)
        name = done.stdout.strip()
        return name if done.status == 0 and name else self.main_branch

    def create(self, n: int) -> Workspace:
        """A new worktree at .agent/worktrees/gen-N on branch agent/gen-N from main's HEAD."""
        if n < 1:
            raise GitError(f"Generation numbers start at 1, got {n}.")
        base = self.main_sha()
        path, branch = self.worktrees / f"gen-{n}", f"{self.branch_prefix}{n}"
        if path.exists() or self._resolve(f"refs/heads/{branch}") is not None:
            raise GitError(
                f"Generation {n} already has a worktree or branch; discard it or let the "
                "start-up cleanup remove it."
            )
        ensure_excluded(self.root, ["/.agent/"])
        name = self.main_branch.encode("utf-8")
        blob = run(self.root, "hash-object", "-w", "--stdin", stdin=name).stdout.strip()
        try:
            run(self.root, "update-ref", f"{self.from_prefix}{n}", blob, "")
            run(self.root, "update-ref", f"{self.owned_prefix}{n}", base, "")
            add_worktree(self.root, self.common, path, "-b", branch, str(path), base)
        except BaseException:
            # A generation that could not start leaves no branch or record behind.
            run(self.root, "update-ref", "-d", f"refs/heads/{branch}", check=False)
            run(self.root, "update-ref", "-d", f"{self.owned_prefix}{n}", check=False)
            run(self.root, "update-ref", "-d", f"{self.from_prefix}{n}", check=False)
            raise
        return Workspace(number=n, path=path, branch=branch, base_sha=base, target=self.main_branch)

    def workspace(self, n: int) -> Workspace:
        """The workspace of an existing generation N (e.g. a pending one), re-adding its folder."""
        path, branch = self.worktrees / f"gen-{n}", f"{self.branch_prefix}{n}"
        if self._resolve(f"refs/heads/{branch}") is None:
            raise GitError(f"Generation {n} has no branch {branch}; it was merged or discarded.")
        if registered(self.root, path):
            pin_worktree(self.common, path)
        else:
            self.remove_worktree(path)
            add_worktree(self.root, self.common, path, str(path), branch)
        target = self.built_from(n)
        base = out(self.root, "merge-base", self.main_sha(target), f"refs/heads/{branch}")
        return Workspace(number=n, path=path, branch=branch, base_sha=base, target=target)

    def create_scratch(self, n: int) -> Workspace:
        """A dry-run workspace for generation N: a detached worktree of main, no branch."""
        base = self.main_sha()
        path = self.create_detached(f"dry-run-{n}", base)
        return Workspace(number=n, path=path, branch="", base_sha=base)

    def remove_scratch(self, ws: Workspace) -> None:
        """Delete a dry run's scratch worktree; whatever was written there is gone with it."""
        self.remove_worktree(ws.path)

    def create_detached(self, name: str, ref: str) -> Path:
        """A throwaway worktree .agent/worktrees/<name> with ref checked out, no branch."""
        if not _THROWAWAY_NAME.fullmatch(name) or _GEN_NAME.fullmatch(name):
            raise GitError(f"'{name}' cannot name a throwaway worktree; use letters, digits, ._-.")
        sha = self._resolve(ref)
        if sha is None:
            raise GitError(f"'{ref}' is not a commit in {self.root}; pass a branch or a sha.")
        path = self.worktrees / name
        self.remove_worktree(path)
        ensure_excluded(self.root, ["/.agent/"])
        add_worktree(self.root, self.common, path, "--detach", str(path), sha)
        return path

    def remove_worktree(self, path: Path) -> str:
        """Delete an agent worktree folder and git's record of it (what the agent did not make
        is moved aside, and the sentence saying so returned); a missing one is fine."""
        if real_path(path).parent != real_path(self.worktrees):
            raise GitError(f"{path} is not an agent worktree under {self.worktrees}; left alone.")
        return drop_worktree(self.root, path)

    def commit(self, ws: Workspace, message: str) -> str | None:
        """Stage everything in the worktree and commit it as the agent; None if nothing changed."""
        if not self._stage(ws):
            return None
        run(ws.path, "commit", "--quiet", "--no-verify", "-m", message, commits=True)
        return out(ws.path, "rev-parse", "HEAD")

    def diff(self, ws: Workspace) -> str:
        """Unified diff of the worktree (committed or not, new files included) against base."""
        self._stage(ws)
        args = ("--no-color", *SHOWN_DIFF, "--src-prefix=a/", "--dst-prefix=b/")
        return run(ws.path, "diff", "--cached", *args, ws.base_sha).stdout

    def changed_files(self, ws: Workspace) -> list[str]:
        """Paths the worktree changed against base, committed or not, sorted."""
        self._stage(ws)
        return sorted(paths(ws.path, "diff", "--cached", "--name-only", "-z", ws.base_sha))

    def merge(self, ws: Workspace) -> str:
        """Bring the generation into the branch it was built from, checkouts too, or not at all."""
        target = ws.target or self.built_from(ws.number)
        main = self.main_sha(target)
        head = out(ws.path, "rev-parse", "HEAD")
        if out(ws.path, "status", "--porcelain"):
            raise GitError(f"Generation {ws.number} has uncommitted changes; commit them first.")
        if self._ahead(main, head) == 0:
            raise GitError(f"Generation {ws.number} has no commit that {target} lacks.")
        evidence = f"{self.merged_prefix}{ws.number}"
        # Every ref lock the merge and its clean-up take, asked of git before anything moves.
        locked = self.lock_problem(target, (f"update {evidence} {head}", f"delete {ws.ref}"))
        if locked:
            raise MergeRefused(locked)
        if not self._is_ancestor(main, head):
            head = merge_onto(ws, main, head, target)
        run(self.root, "update-ref", evidence, head)
        try:
            new = advance_main(self.root, target, main, head, f"merge of generation {ws.number}")
        except GitError:
            run(self.root, "update-ref", "-d", evidence, head)
            raise
        self.tidy(ws)
        return new

    def tidy(self, ws: Workspace) -> str:
        """Remove a merged generation's worktree and branch; what stays and why, never an error
        (the merge has landed, so a failed clean-up must not make it look rejected)."""
        try:
            self.remove(ws)
        except GitError as exc:
            return f"{ws.branch} stays until the next start removes it ({str(exc).rstrip('.')})"
        return ""

    def has_branch(self, n: int) -> bool:
        """Whether generation N's branch still exists."""
        return self._resolve(f"refs/heads/{self.branch_prefix}{n}") is not None

    def merged_commit(self, n: int) -> str | None:
        """The commit generation N put on main, or None when main does not hold one of it."""
        sha = self._resolve(f"{self.merged_prefix}{n}")
        if sha is None or not self._is_ancestor(sha, self.main_sha(self.built_from(n))):
            return None
        return sha

    def next_free_number(self, seen: Iterable[int] = ()) -> int:
        """One above every generation number in seen, in refs/agent/** and agent/gen-* branches."""
        names = out(
            self.root, "for-each-ref", "--format=%(refname)", "refs/agent/", "refs/heads/agent/"
        )
        found = [int(m[1]) for m in map(_ANY_NUMBER.search, names.splitlines()) if m]
        return max([0, *seen, *found]) + 1

    def owns(self, n: int) -> bool:
        """Whether the agent made generation N's branch (a user's agent/gen-N is left alone)."""
        return self._resolve(f"{self.owned_prefix}{n}") is not None

    def reject(self, ws: Workspace) -> None:
        """Delete worktree and branch, keeping any new commit at refs/agent/rejected/gen-N."""
        if ws.branch:
            self._park(ws.number, ws.branch)
        self.remove(ws)

    def remove(self, ws: Workspace) -> None:
        """Delete the generation's worktree and branch, whichever still exist; commits not kept."""
        self.remove_worktree(ws.path)
        if (
            ws.branch
            and self._resolve(f"refs/heads/{ws.branch}") is not None
            and self.owns(ws.number)
        ):
            run(self.root, "update-ref", "-d", ws.ref)

    def cleanup(self, keep: Iterable[int]) -> list[str]:
        """Remove leftover worktrees and agent/gen-* branches not in keep; returns what went."""
        kept = set(keep)
        removed: list[str] = []
        for entry in list_worktrees(self.root):
            if real_path(entry.path).parent == real_path(self.worktrees):
                name = entry.path.name
                if not self._kept(name, kept):
                    self.remove_worktree(self.worktrees / name)
                    removed.append(f"worktree {WORKTREES / name}")
        if self.worktrees.is_dir():
            for child in sorted(self.worktrees.iterdir()):
                if not self._kept(child.name, kept):
                    aside = self.remove_worktree(child)
                    removed.append(aside or f"worktree {WORKTREES / child.name}")
        run(self.root, "worktree", "prune")
        held = {w.branch for w in list_worktrees(self.root)}
        for branch in self._generation_branches():
            number = int(branch.removeprefix(self.branch_prefix))
            if number not in kept and f"refs/heads/{branch}" not in held and self.owns(number):
                self._park(number, branch)
                run(self.root, "update-ref", "-d", f"refs/heads/{branch}")
                removed.append(f"branch {branch}")
        return removed

    def revert(self, sha: str) -> str:
        """Revert a commit of main (a merge against its first parent); returns the new main."""
        main = self.main_sha()
        full = self._resolve(sha)
        if full is None or not self._is_ancestor(full, main):
            raise GitError(f"'{sha}' is not a commit on {self.main_branch}; nothing to revert.")
        parents = out(self.root, "rev-list", "--parents", "-n1", full).split()[1:]
        # A merge is undone against its first parent: main before the generation came in.
        mainline = ("-m", "1") if len(parents) > 1 else ()
        tree = self.create_detached(f"revert-{full[:12]}", main)
        try:
            args = ("revert", "--no-edit", *mainline, full)
            result = run(tree, *args, commits=True, check=False)
            if result.status != 0:
                conflicts = paths(tree, "diff", "--name-only", "-z", "--diff-filter=U")
                run(tree, "revert", "--abort", check=False)
                if conflicts:
                    raise MergeRefused(
                        f"Reverting {full[:12]} conflicts with later commits on "
                        f"{self.main_branch} in {', '.join(conflicts)}; revert it by hand."
                    )
                raise GitError(failure(args, tree, result.stderr))
            new = out(tree, "rev-parse", "HEAD")
            return advance_main(self.root, self.main_branch, main, new, f"revert of {full[:12]}")
        finally:
            self.remove_worktree(tree)

    def _stage(self, ws: Workspace) -> bool:
        """Stage every change in the worktree; whether the index now differs from HEAD."""
        run(ws.path, "add", "--all")
        result = run(ws.path, "diff", "--cached", "--quiet", check=False)
        if result.status > 1:
            raise GitError(failure(("diff",), ws.path, result.stderr))
        return result.status == 1

    def _park(self, number: int, branch: str) -> None:
        """Keep a branch's commits that main lacks reachable at refs/agent/rejected/gen-N."""
        tip = self._resolve(f"refs/heads/{branch}")
        if tip is not None and self._ahead(self.main_sha(self.built_from(number)), tip) > 0:
            run(self.root, "update-ref", f"{self.rejected_prefix}{number}", tip)

    def _generation_branches(self) -> list[str]:
        """Local branches named agent/gen-<number>."""
        names = out(self.root, "for-each-ref", "--format=%(refname)", "refs/heads/agent/")
        prefix = f"refs/heads/{self.branch_prefix}"
        return [
            n.removeprefix("refs/heads/")
            for n in names.splitlines()
            if n.startswith(prefix) and n.removeprefix(prefix).isdigit()
        ]

    def _resolve(self, ref: str) -> str | None:
        """The commit sha ref names, or None when it names none."""
        result = run(
            self.root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False
        )
        return result.stdout.strip() if result.status == 0 else None

    def _ahead(self, base: str, tip: str) -> int:
        """How many commits tip has that base lacks."""
        return int(out(self.root, "rev-list", "--count", f"{base}..{tip}"))

    def _is_ancestor(self, old: str, new: str) -> bool:
        """Whether old is reachable from new."""
        result = run(self.root, "merge-base", "--is-ancestor", old, new, check=False)
        if result.status > 1:
            raise GitError(failure(("merge-base",), self.root, result.stderr))
        return result.status == 0

    @staticmethod
    def _kept(name: str, kept: set[int]) -> bool:
        """Whether a worktree folder belongs to a generation that must be kept."""
        match = _GEN_NAME.fullmatch(name)
        return match is not None and int(match[1]) in kept
