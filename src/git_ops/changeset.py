"""A change as git sees it: a patch, a range or the working tree, as two trees and their files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from self_improving_agent.base.cleanup import scratch_dir
from self_improving_agent.base.errors import GitError
from self_improving_agent.base.gitcmd import git

GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}
# What a patch names as its files: git headers, rename lines and unified-diff headers.
_PATCH_PATHS = re.compile(
    rb"^(?:diff --git a/(\S+) b/(\S+)|(?:rename|copy) (?:from|to) (.+)"
    rb"|(?:---|\+\+\+) (?:[ab]/)?(\S+))",
    re.M,
)
_ANCESTRY = re.compile(r"[~^](\d*)$")


@dataclass(frozen=True)
class FileChange:
    """One file a change adds, modifies, deletes or moves; contents as bytes (None: absent)."""

    path: str
    old_path: str | None
    status: str
    old_mode: str
    new_mode: str
    before: bytes | None
    after: bytes | None


@dataclass(frozen=True)
class ChangeSet:
    """The files between a base commit and the tree of the change."""

    base: str
    label: str
    files: tuple[FileChange, ...]
    tree: str = ""


def _git(
    repo: Path, *args: str, data: bytes | None = None, env: dict[str, str] | None = None
) -> bytes:
    """git's stdout, or GitError with its last line."""
    done = git(repo, *args, env={**GIT_ENV, **(env or {})}, stdin=data)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise GitError(f"git {args[0]} failed: {lines[-1] if lines else 'no message'}")
    return done.stdout


def _commit(repo: Path, rev: str) -> str | None:
    """The commit a revision names, or None when this clone does not have it."""
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").decode().strip()
    except GitError:
        return None


def _head(repo: Path) -> str:
    """HEAD's commit, or one sentence when there is none."""
    head = _commit(repo, "HEAD")
    if head is None:
        raise GitError(
            f"{repo} has no commit at HEAD yet; commit once, then vet changes against it."
        )
    return head


def patch_paths(patch: bytes) -> list[str]:
    """Every path a patch text names (so a patch git will not apply can still be judged)."""
    found: list[str] = []
    for match in _PATCH_PATHS.finditer(patch):
        for group in match.groups():
            if group and group != b"/dev/null":
                path = group.decode("utf-8", "replace").strip().strip('"')
                if path not in found:
                    found.append(path)
    return found


def patch_links(patch: bytes) -> dict[str, str]:
    """Symbolic links a patch creates: path -> the target its one added line names."""
    links: dict[str, str] = {}
    for section in re.split(rb"^(?=diff --git )", patch, flags=re.M):
        head = re.match(rb"diff --git a/(\S+) b/(\S+)", section)
        if head is None or not re.search(rb"^new (?:file )?mode 120000$", section, re.M):
            continue
        added = re.findall(rb"^\+(?!\+\+ )(.*)$", section, re.M)
        if len(added) == 1:
            links[head.group(2).decode("utf-8", "replace")] = added[0].decode("utf-8", "replace")
    return links


def from_patch(repo: Path, patch: bytes, label: str) -> ChangeSet:
    """The change a patch makes to HEAD, applied to a scratch index (no file is touched)."""
    head = _head(repo)
    if not patch.strip():
        raise GitError(f"{label} is empty; give a patch made by `git diff` or `diff -u`.")
    with scratch_dir("agent-vet-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        _git(repo, "read-tree", head, env=env)
        problem = ""
        for strip in ("-p1", "-p0"):
            try:
                _git(repo, "apply", "--cached", "--binary", strip, "-", data=patch, env=env)
                break
            except GitError as exc:
                problem = problem or str(exc)
        else:
            raise GitError(f"{label} does not apply to HEAD ({problem}); make it against HEAD.")
        tree = _git(repo, "write-tree", env=env).decode().strip()
    return ChangeSet(head, label, _files(repo, head, tree), tree)


def from_worktree(repo: Path, base: str = "HEAD") -> ChangeSet:
    """The working tree as it stands (untracked files included) against base (HEAD)."""
    head = _head(repo) if base == "HEAD" else _commit(repo, base)
    if head is None:
        raise GitError(f"{base} is not a commit in {repo}; the change can't be compared with it.")
    with scratch_dir("agent-vet-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        _git(repo, "read-tree", head, env=env)
        _git(repo, "add", "-A", "--", ".", env=env)
        tree = _git(repo, "write-tree", env=env).decode().strip()
    label = "the working tree" if base == "HEAD" else f"the working tree against {base[:10]}"
    return ChangeSet(head, label, _files(repo, head, tree), tree)


def from_range(repo: Path, spec: str) -> ChangeSet:
    """The change between two revisions, `A..B` (A to B) or `A...B` (their merge base to B)."""
    three = "..." in spec
    base_rev, _, head_rev = spec.partition("..." if three else "..")
    base_rev, head_rev = base_rev or "HEAD", head_rev or "HEAD"
    head = _commit(repo, head_rev)
    if head is None:
        raise GitError(f"{head_rev} is not a commit in {repo}; check the range {spec!r}.")
    base = _commit(repo, base_rev)
    if base is None:
        raise GitError(_missing_base(repo, base_rev, spec))
    if three:
        base = _git(repo, "merge-base", base, head).decode().strip()
    tree = _git(repo, "rev-parse", f"{head}^{{tree}}").decode().strip()
    return ChangeSet(base, spec, _files(repo, base, tree), tree)


def _missing_base(repo: Path, rev: str, spec: str) -> str:
    """One sentence for a range whose base this clone lacks, saying how deep to fetch."""
    shallow = _git(repo, "rev-parse", "--is-shallow-repository").decode().strip() == "true"
    if not shallow:
        return f"{rev} is not a commit in {repo}; check the range {spec!r} or fetch it first."
    have = int(_git(repo, "rev-list", "--count", "HEAD").decode().strip() or 0)
    steps = _ANCESTRY.search(rev)
    if steps:
        need = int(steps.group(1) or 1) + 1
        return (
            f"{rev} is beyond this shallow clone's {have} commit(s); fetch at least {need} "
            f"with `git fetch --deepen={max(1, need - have)}` (or `git fetch --unshallow`)."
        )
    return (
        f"{rev} is not in this shallow clone ({have} commit(s)); fetch deeper until it is, "
        f"e.g. `git fetch --deepen=50`, or everything with `git fetch --unshallow`."
    )


def _blob(repo: Path, tree_ish: str, path: str, mode: str) -> bytes | None:
    """A file's bytes in a tree; a submodule's commit id as text."""
    if mode == "000000":
        return None
    if mode == "160000":
        return b"submodule"
    return _git(repo, "cat-file", "blob", f"{tree_ish}:{path}")


def _files(repo: Path, base: str, tree: str) -> tuple[FileChange, ...]:
    """The files that differ between base and tree, renames followed as git detects them."""
    raw = _git(repo, "diff-tree", "-r", "-M", "-z", "--raw", base, tree)
    fields = raw.split(b"\0")
    files = []
    index = 0
    while index < len(fields) - 1:
        meta = fields[index].decode()
        if not meta.startswith(":"):
            index += 1
            continue
        old_mode, new_mode, _, _, status = meta[1:].split(" ")
        status = status[0]
        paths = [fields[index + 1].decode("utf-8", "surrogateescape")]
        index += 2
        if status in "RC":
            paths.append(fields[index].decode("utf-8", "surrogateescape"))
            index += 1
        old_path, path = (paths[0], paths[1]) if status in "RC" else (paths[0], paths[0])
        files.append(
            FileChange(
                path=path,
                old_path=old_path if status in "RC" else None,
                status=status,
                old_mode=old_mode,
                new_mode=new_mode,
                before=_blob(repo, base, old_path, old_mode),
                after=_blob(repo, tree, path, new_mode),
            )
        )
    return tuple(files)


def file_at(repo: Path, rev: str, path: str) -> bytes | None:
    """A file's bytes at a revision, or None when it is not there."""
    try:
        return _git(repo, "cat-file", "blob", f"{rev}:{path}")
    except GitError:
        return None


def top_names(repo: Path, rev: str, folder: str = "") -> list[str]:
    """Names of the entries of a folder (the root by default) at a revision."""
    try:
        out = _git(repo, "ls-tree", "--name-only", "-z", f"{rev}:{folder}" if folder else rev)
    except GitError:
        return []
    return [name.decode("utf-8", "replace") for name in out.split(b"\0") if name]


def tracked_paths(repo: Path, rev: str) -> list[str]:
    """Every file path at a revision."""
    try:
        out = _git(repo, "ls-tree", "-r", "--name-only", "-z", rev)
    except GitError:
        return []
    return [name.decode("utf-8", "replace") for name in out.split(b"\0") if name]


def word_at(repo: Path, rev: str, word: str) -> bool:
    """Whether a whole word occurs in any Python file at a revision (true when git can't say)."""
    done = git(repo, "grep", "-q", "-w", "-F", "-e", word, rev, "--", "*.py", env=GIT_ENV)
    return done.returncode != 1
