"""What the host's uv may install: named requirements from an index, re-written by the agent.

Declarations are the repository's text. The host never hands that text to uv: each line is
parsed, option lines (indexes, find-links, constraints) are dropped, and only requirements that
name a project (name, extras, versions, markers) are re-written and passed on the command line.
A URL or path requirement is never installed by the host: the project's own folder becomes its
extras (the project is installed in the sandbox), anything else makes the build fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement

from self_improving_agent.base.text import printable
from self_improving_agent.envs.model import EnvError

MAX_FILES = 50
MAX_FILE_BYTES = 1024 * 1024
# An option line: `-rfile`, `-r file`, `--requirement=file`, `--pre`.
_OPTION = re.compile(r"^(-[A-Za-z]|--[A-Za-z][\w-]*)(?:=|\s+)?(.*)$")
# `.[test]` and `./lib[x]`: a folder with extras, which packaging does not parse.
_PATH_EXTRAS = re.compile(r"^(?P<path>[^\[\]]+?)\s*(\[(?P<extras>[A-Za-z0-9._, -]*)\])?$")
# Per-requirement options (`--hash=...`) follow the requirement after whitespace.
_TRAILING_OPTION = re.compile(r"\s+--?[A-Za-z].*$")


class HostInstall(NamedTuple):
    """Named requirements for the host's uv, the project's own extras, and what was dropped."""

    requirements: tuple[str, ...]
    extras: tuple[str, ...]
    dropped: tuple[str, ...]


class _Refused(Exception):
    """A line the host will not install, and what it is."""

    def __init__(self, line: str, why: str) -> None:
        super().__init__(why)
        self.line, self.why = printable(line)[:120], why


def _named(line: str) -> str:
    """A requirement that names a project, re-written by packaging; refused otherwise."""
    try:
        req = Requirement(line)
    except InvalidRequirement:
        raise _Refused(line, "not a requirement") from None
    if req.url:
        raise _Refused(line, "a URL or path")
    text = str(req)
    # uv expands ${VAR} in files; nothing the repository wrote may name a variable.
    if "$" in text:
        raise _Refused(line, "a requirement that names an environment variable")
    return text


def _logical_lines(text: str) -> list[str]:
    """Lines of a requirements file with continuations joined and comments removed."""
    joined = re.sub(r"\\\r?\n", " ", text)
    lines = [re.sub(r"(^|\s)#.*$", "", line).strip() for line in joined.splitlines()]
    return [line for line in lines if line]


class _Reader:
    """Requirement lines read from files inside one tree, each file once."""

    def __init__(self, tree: Path) -> None:
        self.root = tree.resolve()
        self.requirements: list[str] = []
        self.extras: list[str] = []
        self.dropped: list[str] = []
        self.seen: set[Path] = set()

    def inside(self, base: Path, name: str, line: str) -> Path:
        """name resolved from base, when it stays inside the tree; EnvError otherwise."""
        if "$" in name or "\0" in name:
            raise _Refused(line, "a path that names an environment variable")
        path = (base / name).resolve()
        if not path.is_relative_to(self.root):
            raise _Refused(line, "a path outside the repository")
        return path

    def file(self, base: Path, name: str, line: str) -> None:
        """The lines of a requirements file named by `-r`, read from inside the tree only."""
        path = self.inside(base, name, line)
        if path in self.seen:
            return
        if not path.is_file() or len(self.seen) >= MAX_FILES:
            raise EnvError(
                f"the requirements file {printable(name)[:120]!r} named in main's declarations "
                "is missing or not a file in the repository; fix the `-r` line"
            )
        self.seen.add(path)
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES).decode("utf-8", errors="replace")
        for inner in _logical_lines(data):
            self.line(path.parent, inner)

    def folder(self, base: Path, text: str, line: str) -> None:
        """A path requirement: the project itself gives its extras; anything else is refused."""
        match = _PATH_EXTRAS.match(text)
        if match is None:
            raise _Refused(line, "not a requirement")
        where = match.group("path").strip()
        if "://" in where and not where.startswith("file:"):
            raise _Refused(line, "a URL")
        if where.startswith("file:"):
            where = unquote(urlsplit(where).path)
        if self.inside(base, where, line) != self.root:
            raise _Refused(line, "a path to a folder other than the project")
        extras = match.group("extras") or ""
        self.extras += [e.strip() for e in extras.split(",") if e.strip()]

    def line(self, base: Path, line: str) -> None:
        """One logical line of declarations: a file, an option, a folder or a requirement."""
        option = _OPTION.match(line)
        if option and option.group(1) in ("-r", "--requirement"):
            return self.file(base, option.group(2).strip(), line)
        if option and option.group(1) in ("-e", "--editable"):
            return self.folder(base, option.group(2).strip(), line)
        if option:
            self.dropped.append(printable(option.group(1))[:60])
            return None
        requirement = _TRAILING_OPTION.sub("", line)
        try:
            Requirement(requirement)
        except InvalidRequirement:
            return self.folder(base, requirement, line)
        self.requirements.append(_named(requirement))
        return None


def host_install(lines: Iterable[str], files: Iterable[str], tree: Path) -> HostInstall:
    """The host's share of declarations: lines as written (tox deps, groups) and `-r` files."""
    reader = _Reader(tree)
    try:
        for line in lines:
            for logical in _logical_lines(line):
                reader.line(reader.root, logical)
        for name in files:
            reader.file(reader.root, name, f"-r {name}")
    except _Refused as exc:
        raise EnvError(
            f"the dependency {exc.line!r} is {exc.why}, which the host never installs; name it "
            "by version from a package index in main's declarations (name>=1.0), or make the "
            "folder a workspace member, or set [benchmarks] python to an interpreter that has it"
        ) from None
    return HostInstall(
        tuple(dict.fromkeys(reader.requirements)),
        tuple(dict.fromkeys(reader.extras)),
        tuple(dict.fromkeys(reader.dropped)),
    )
