"""The files of a target repository as git sees them: tracked plus untracked-not-ignored."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from self_improving_agent.base.errors import BenchmarkError, GitError
from self_improving_agent.base.gitcmd import git
from self_improving_agent.base.limits import MAX_FILE_BYTES
from self_improving_agent.base.pysource import read_source

# Folders that are never the project's own code even when a repository forgets to ignore them.
SKIP_DIRS = frozenset(
    {".agent", ".git", ".venv", "venv", ".tox", ".nox", "node_modules", "site-packages"}
)
TEST_DIRS = frozenset({"tests", "test", "testing"})
# Top-level files that drive tools rather than being the project's modules: importing one runs it.
TOOL_SCRIPTS = frozenset({"setup", "noxfile", "fabfile", "tasks", "dodo", "manage", "conftest"})
# CPython's parser is not safe to run from several threads at once (it can fail with
# "AST constructor recursion depth mismatch"); every in-process parse holds this lock.
PARSE_LOCK = threading.Lock()


def _git(repo: Path, *args: str) -> str:
    """Run git in repo; a missing git or a non-repository becomes a BenchmarkError."""
    try:
        done = git(repo, *args)
    except GitError as exc:
        raise BenchmarkError(f"{repo}: cannot run git ({exc})") from None
    if done.returncode != 0:
        raise BenchmarkError(
            f"{repo} is not a git repository; pass --repo with the top folder of one"
        )
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = done.stdout.rfind(b"\0", 0, exc.start) + 1
        name = done.stdout[start:].split(b"\0", 1)[0].split(b"\n", 1)[0]
        raise BenchmarkError(
            f"the file name {name!r} in the repository is not UTF-8; rename it with `git mv` "
            "so the agent can read the repository"
        ) from None


def check_repo(repo: Path) -> None:
    """Raise a BenchmarkError unless repo is the top folder of a git work tree."""
    if not repo.is_dir():
        raise BenchmarkError(f"{repo} does not exist; pass --repo with a git repository")
    top = _git(repo, "rev-parse", "--show-toplevel").strip()
    if Path(top).resolve() != repo.resolve():
        raise BenchmarkError(f"{repo} is inside the git repository {top}; pass --repo {top}")


def repo_files(repo: Path) -> list[str]:
    """Repo-relative POSIX paths of tracked and untracked-not-ignored files, sorted."""
    check_repo(repo)
    out = _git(repo, "ls-files", "-co", "--exclude-standard", "-z")
    names = {name for name in out.split("\0") if name}
    return sorted(name for name in names if not SKIP_DIRS.intersection(name.split("/")[:-1]))


def is_committed(repo: Path, ref: str) -> bool:
    """Whether repo's working tree is exactly ref's commit: HEAD at ref, nothing changed or new."""
    try:
        head, target = (_git(repo, "rev-parse", "--verify", name).strip() for name in ("HEAD", ref))
        changed = _git(repo, "status", "--porcelain", "--untracked-files=all")
    except BenchmarkError:
        return False
    return head == target and not changed.strip()


def is_test_path(rel: str) -> bool:
    """Whether a file is test code: under a tests folder, test_*.py, *_test.py or conftest.py."""
    path = PurePosixPath(rel)
    name = path.name
    return (
        bool(TEST_DIRS.intersection(path.parts[:-1]))
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


@dataclass(frozen=True)
class SourceTree:
    """The Python files of a repository, read once and shared by the in-process benchmarks."""

    root: Path
    files: list[str]
    texts: dict[str, str] = field(default_factory=dict)
    # Python files above the size limit: left out here and excluded from the tools' runs.
    oversized: list[str] = field(default_factory=list)

    @classmethod
    def scan(cls, repo: Path, files: list[str] | None = None) -> SourceTree:
        """Read every Python file of the repository that exists on disk and is not too big."""
        names = repo_files(repo) if files is None else files
        texts: dict[str, str] = {}
        oversized: list[str] = []
        for rel in names:
            if not rel.endswith(".py"):
                continue
            try:
                if (repo / rel).stat().st_size > MAX_FILE_BYTES:
                    oversized.append(rel)
                    continue
                texts[rel] = read_source(repo / rel, errors="replace")
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                continue
        return cls(repo, names, texts, oversized)

    @property
    def python(self) -> list[str]:
        """All Python files, tests included."""
        return list(self.texts)

    @property
    def source(self) -> list[str]:
        """Python files that are not tests."""
        return [rel for rel in self.texts if not is_test_path(rel)]

    def lines(self, rels: list[str]) -> int:
        """Total line count of some files."""
        return sum(len(self.texts[rel].splitlines()) for rel in rels)

    def own_names(self) -> frozenset[str]:
        """Every folder and module name in the tree: what its own imports can be called."""
        parts = {part for rel in self.python for part in PurePosixPath(rel).with_suffix("").parts}
        return frozenset(parts)

    def dotted_names(self) -> frozenset[str]:
        """Every dotted name a Python file of the tree could be imported by (each path suffix)."""
        names: set[str] = set()
        for rel in self.python:
            parts = PurePosixPath(rel).with_suffix("").parts
            parts = parts[:-1] if parts[-1] == "__init__" else parts
            names.update(".".join(parts[i:]) for i in range(len(parts)))
        return frozenset(names)

    def packages(self) -> list[str]:
        """Folders with an __init__.py, repo-relative, tests excluded."""
        return sorted(
            str(PurePosixPath(rel).parent)
            for rel in self.source
            if PurePosixPath(rel).name == "__init__.py" and PurePosixPath(rel).parent.parts
        )

    def top_packages(self) -> list[str]:
        """Packages whose parent folder is not itself a package (import roots sit above them)."""
        pkgs = set(self.packages())
        return [p for p in sorted(pkgs) if str(PurePosixPath(p).parent) not in pkgs]

    def package_modules(self) -> dict[str, str]:
        """Dotted module name -> import root for every module inside the source packages."""
        pkgs = set(self.packages())
        modules: dict[str, str] = {}
        for top in self.top_packages():
            root = PurePosixPath(top).parent
            for rel in self.source:
                path = PurePosixPath(rel)
                if str(path.parent) not in pkgs or not rel.startswith(top + "/"):
                    continue
                parts = path.relative_to(root).with_suffix("").parts
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                if all(part.isidentifier() for part in parts):
                    modules[".".join(parts)] = str(root)
        return dict(sorted(modules.items()))

    def loose_modules(self) -> dict[str, str]:
        """Module name -> import root for single-file modules at the top or under src/ (six.py)."""
        modules: dict[str, str] = {}
        for rel in self.source:
            path = PurePosixPath(rel)
            root = str(path.parent)
            if root in (".", "src") and path.stem.isidentifier() and path.stem not in TOOL_SCRIPTS:
                modules[path.stem] = root
        return dict(sorted(modules.items()))
