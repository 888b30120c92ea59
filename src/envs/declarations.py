"""What a committed tree declares about its test dependencies, in one documented order.

1. tox's default test environment ([testenv] / env_run_base): deps, dependency_groups, extras
2. noxfile.py's tests/test/testing session, where its install calls are literal
3. a PEP 735 dependency group test, tests or testing
4. a Poetry group test, tests or testing (or dev)
5. an extra test, tests or testing
6. requirements*/test*.txt-style files
7. a dev group or extra, then dev requirements files
8. the project alone
"""

from __future__ import annotations

import ast
import configparser
import contextlib
import hashlib
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from fnmatch import fnmatch
from typing import Any, NamedTuple

from pydantic import BaseModel, Field

from self_improving_agent.envs.poetry import group_requirements
from self_improving_agent.envs.runners import Reader, RunnerDeps, nox_deps, tox_deps
from self_improving_agent.envs.workspace import measured_members, member_dirs, project_name

TEST_NAMES = ("test", "tests", "testing")
DEV_NAMES = ("dev",)
# Requirements files that hold test dependencies, most specific first.
TEST_REQUIREMENT_GLOBS = (
    "requirements*/test*.txt",
    "requirements-test*.txt",
    "requirements_test*.txt",
    "test-requirements*.txt",
    "test_requirements*.txt",
    "requirements-tests*.txt",
    "tests/requirements*.txt",
)
DEV_REQUIREMENT_GLOBS = (
    "requirements*/dev*.txt",
    "requirements-dev*.txt",
    "requirements_dev*.txt",
    "dev-requirements*.txt",
)
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
_NAME = re.compile(r"[-_.]+")
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# `py38: mock` applies to some tox environments only; the default one has no factors.
_FACTOR = re.compile(r"^[\w.,!-]+:\s")


class Declarations(BaseModel):
    """The dependency declarations an environment is built from."""

    source: str = Field(description="Where the test dependencies came from, for people.")
    reason: str = Field("", description="Why that source was chosen, for people.")
    installable: bool = Field(description="Whether the tree is a package that pip can install.")
    extras: list[str] = Field(default_factory=list, description="Extras installed with it.")
    requirements: list[str] = Field(default_factory=list, description="Requirement strings.")
    requirement_files: list[str] = Field(default_factory=list, description="`-r` files to use.")
    members: dict[str, list[str]] = Field(
        default_factory=dict, description="Workspace member folder -> extras installed with it."
    )
    build_requires: list[str] = Field(default_factory=list, description="Build backend needs.")
    siblings: dict[str, str] = Field(
        default_factory=dict,
        description="Other workspace members by project name -> folder relative to this one.",
    )
    sibling_requires: list[str] = Field(
        default_factory=list, description="Test requirements naming other workspace members."
    )
    digests: dict[str, str] = Field(default_factory=dict, description="sha256 of used files.")

    def fingerprint(self, python_version: str, tools: tuple[str, ...]) -> str:
        """Hash of the declarations, the Python version and the measuring tools."""
        blob = f"{self.model_dump_json(exclude={'reason'})}\0{python_version}\0{','.join(tools)}"
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def normalize(name: str) -> str:
    """PEP 503 name: lower case, runs of -_. become one dash."""
    return _NAME.sub("-", name).lower()


def _group(groups: Mapping[str, Any], name: str, seen: frozenset[str] = frozenset()) -> list[str]:
    """A dependency group's requirement strings with include-group entries expanded."""
    wanted = normalize(name)
    found: object = next((v for k, v in groups.items() if normalize(k) == wanted), [])
    out: list[str] = []
    for item in found if isinstance(found, list) else []:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and isinstance(item.get("include-group"), str):
            inner = item["include-group"]
            if normalize(inner) not in seen:
                out.extend(_group(groups, inner, seen | {wanted}))
    return out


def _named(table: Mapping[str, Any], names: tuple[str, ...]) -> list[str]:
    """Keys of table whose normalized name is one of names."""
    return [key for key in table if normalize(key) in names]


class _Found(NamedTuple):
    """One place test dependencies may be kept, as found in a tree."""

    source: str
    reason: str
    extras: list[str]
    requirements: list[str]
    files: list[str]


def _extra_names(pyproject: Mapping[str, Any], read: Reader) -> list[str]:
    """The project's extras, wherever its build declares them (PEP 621, Poetry, setup.cfg/py)."""
    names: list[str] = []
    for table in (
        (pyproject.get("project") or {}).get("optional-dependencies"),
        ((pyproject.get("tool") or {}).get("poetry") or {}).get("extras"),
    ):
        names += list(table) if isinstance(table, dict) else []
    if (text := read("setup.cfg")) is not None:
        parser = configparser.ConfigParser(interpolation=None)
        with contextlib.suppress(configparser.Error):
            parser.read_string(text)
            if parser.has_section("options.extras_require"):
                names += parser.options("options.extras_require")
    if (text := read("setup.py")) is not None:
        with contextlib.suppress(SyntaxError, ValueError):
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.keyword) and node.arg == "extras_require":
                    keys = node.value.keys if isinstance(node.value, ast.Dict) else []
                    names += [str(k.value) for k in keys if isinstance(k, ast.Constant)]
    return [str(name) for name in dict.fromkeys(names)]


def _runner(found: RunnerDeps | None, groups: Mapping[str, Any], reason: str) -> _Found | None:
    """A test runner's dependencies with its dependency groups expanded."""
    if found is None:
        return None
    reqs = [*found.requirements, *(r for g in found.groups for r in _group(groups, g))]
    return _Found(found.where, reason, found.extras, reqs, [])


def _candidates(files: list[str], read: Reader, pyproject: Mapping[str, Any]) -> Iterator[_Found]:
    """Every place test dependencies may be kept, in the documented order of precedence."""
    groups = pyproject.get("dependency-groups") or {}
    groups = groups if isinstance(groups, dict) else {}
    poetry = (pyproject.get("tool") or {}).get("poetry") or {}
    extras = _extra_names(pyproject, read)
    yield from filter(None, [_runner(tox_deps(read), groups, "tox's default test environment")])
    yield from filter(None, [_runner(nox_deps(read), groups, "nox's test session")])
    for names, what in (
        (TEST_NAMES, "named for tests"),
        (DEV_NAMES, "dev, nothing named for tests"),
    ):
        for key in _named(groups, names):
            yield _Found(
                f"dependency-groups {key}", f"a PEP 735 group {what}", [], _group(groups, key), []
            )
        for key in (*names, *(() if names == DEV_NAMES else DEV_NAMES)):
            reqs = group_requirements(poetry, key) if isinstance(poetry, dict) else None
            if reqs is not None:
                yield _Found(
                    f"Poetry group {key}", "a Poetry group named for tests, or dev", [], reqs, []
                )
        for key in [e for e in extras if normalize(e) in names]:
            yield _Found(f"extras {key}", f"an extra {what}", [key], [], [])
        globs = TEST_REQUIREMENT_GLOBS if names == TEST_NAMES else DEV_REQUIREMENT_GLOBS
        for pattern in globs:
            hits = sorted(name for name in files if fnmatch(name, pattern))
            if hits:
                yield _Found(", ".join(hits), f"requirements files {what}", [], [], hits)


def tox_setenv(text: str) -> dict[str, str]:
    """The literal `[testenv] setenv` values of a tox.ini; substitutions ({...}) are left out."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    if not parser.has_option("testenv", "setenv"):
        return {}
    found: dict[str, str] = {}
    for line in parser.get("testenv", "setenv").splitlines():
        name, sep, value = line.strip().partition("=")
        name, value = name.strip(), value.strip()
        if sep and _ENV_NAME.fullmatch(name) and "{" not in value and not _FACTOR.match(line):
            found[name] = value
    return found


def read_declarations(files: list[str], read: Reader) -> Declarations:
    """Declarations of a tree and of each workspace member in it, merged into one environment."""
    decl = _declarations(files, read)
    pyproject: dict[str, Any] = {}
    with contextlib.suppress(tomllib.TOMLDecodeError):
        pyproject = tomllib.loads(read("pyproject.toml") or "")
    members = member_dirs(files, decl.installable, pyproject)
    if not members:
        return decl
    merged = decl.model_copy(deep=True)
    sources: list[str] = []
    for member in members:
        inner = [f[len(member) + 1 :] for f in files if f.startswith(f"{member}/")]
        sub = _declarations(inner, _prefixed(read, member))
        merged.members[member] = sub.extras
        merged.requirements += [
            f"-r {member}/{r[3:]}" if r.startswith("-r ") else r for r in sub.requirements
        ]
        merged.requirement_files += [f"{member}/{name}" for name in sub.requirement_files]
        merged.build_requires += [r for r in sub.build_requires if r not in merged.build_requires]
        merged.digests.update({f"{member}/{k}": v for k, v in sub.digests.items()})
        sources.append(f"{member}: {sub.source}")
    merged.source = f"{decl.source}; workspace members {'; '.join(sources)}"
    merged.reason = f"{decl.reason}; each workspace member's own test dependencies too"
    return merged


def requirement_name(line: str) -> str:
    """The normalized project name a requirement line names ("" for options such as -r)."""
    found = _REQ_NAME.match(line)
    return normalize(found.group(1)) if found else ""


def _toml_of(read: Reader, name: str) -> dict[str, Any]:
    """A committed TOML file's data, {} when absent or unreadable."""
    with contextlib.suppress(tomllib.TOMLDecodeError):
        return tomllib.loads(read(name) or "")
    return {}


def member_declarations(files: list[str], read: Reader, member: str) -> Declarations:
    """One workspace member's own declarations; members it names are left to the overlay.

    Another member is never fetched from an index under its name: it is installed from the
    tree (no deps), and its own third-party requirements join this member's environment.
    """
    inner = [f[len(member) + 1 :] for f in files if f.startswith(f"{member}/")]
    decl = _declarations(inner, _prefixed(read, member))
    siblings: dict[str, str] = {}
    digests = dict(decl.digests)
    for other in measured_members(files, _toml_of(read, "pyproject.toml")):
        text = read(f"{other}/pyproject.toml")
        name = project_name(_toml_of(read, f"{other}/pyproject.toml"))
        if other != member and name:
            siblings[normalize(name)] = os.path.relpath(other, member)
            digests[f"{other}/pyproject.toml"] = hashlib.sha256((text or "").encode()).hexdigest()
    named = [r for r in decl.requirements if requirement_name(r) in siblings]
    return decl.model_copy(
        update={
            "requirements": [r for r in decl.requirements if r not in named],
            "siblings": siblings,
            "sibling_requires": named,
            "digests": digests,
            "source": f"{member}: {decl.source}",
        }
    )


def _prefixed(read: Reader, folder: str) -> Reader:
    """A reader of the files inside one folder, by their names relative to it."""
    return lambda name: read(f"{folder}/{name}")


def _declarations(files: list[str], read: Reader) -> Declarations:
    """Declarations of one project given its file list and a reader of committed file texts."""
    digests = {
        name: hashlib.sha256(text.encode()).hexdigest()
        for name in PROJECT_FILES
        if (text := read(name)) is not None
    }
    installable = bool(digests)
    pyproject: dict[str, Any] = {}
    if (text := read("pyproject.toml")) is not None:
        with contextlib.suppress(tomllib.TOMLDecodeError):
            pyproject = tomllib.loads(text)
    build = pyproject.get("build-system") or {}
    build_requires = [r for r in build.get("requires", []) if isinstance(r, str)]
    if "build-system" not in pyproject and installable:
        build_requires = ["setuptools", "wheel"]
    if any(normalize(r).startswith("hatchling") for r in build_requires):
        # hatchling asks for `editables` only when building editable, as each measurement does.
        build_requires.append("editables")
    found = next(_candidates(files, read, pyproject), None)
    if found is None:
        alone = "the project alone" if installable else "nothing (no project files)"
        reason = "no tox, nox, group, extra or requirements file names test dependencies"
        return Declarations(
            source=f"{alone} plus pytest",
            reason=reason,
            installable=installable,
            build_requires=build_requires,
            digests=digests,
        )
    # Files the requirements point to (`-r`) change the environment as much as the lines do.
    used = {*found.files, *(r[2:].strip() for r in found.requirements if r.startswith("-r "))}
    for name in (*sorted(used), "tox.ini", "tox.toml", "noxfile.py"):
        if (text := read(name)) is not None:
            digests[name] = hashlib.sha256(text.encode()).hexdigest()
    return Declarations(
        source=found.source,
        reason=found.reason,
        installable=installable,
        extras=found.extras,
        requirements=found.requirements,
        requirement_files=found.files,
        build_requires=build_requires,
        digests=digests,
    )
