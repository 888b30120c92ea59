"""What a committed tree declares about its test dependencies, read in the issue's order."""

from __future__ import annotations

import configparser
import hashlib
import re
import tomllib
from collections.abc import Callable, Mapping
from fnmatch import fnmatch
from typing import Any

from pydantic import BaseModel, Field

TEST_NAMES = ("test", "tests", "testing")
DEV_NAMES = ("dev",)
# Requirements files that hold test dependencies, most specific first.
REQUIREMENT_GLOBS = (
    "requirements*/test*.txt",
    "requirements-test*.txt",
    "requirements_test*.txt",
    "test-requirements*.txt",
    "test_requirements*.txt",
    "requirements-tests*.txt",
    "tests/requirements*.txt",
    "requirements*/dev*.txt",
    "requirements-dev*.txt",
    "requirements_dev*.txt",
    "dev-requirements*.txt",
)
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
_NAME = re.compile(r"[-_.]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# `py38: mock` applies to some tox environments only; the default one has no factors.
_FACTOR = re.compile(r"^[\w.,!-]+:\s")

Reader = Callable[[str], str | None]


class Declarations(BaseModel):
    """The dependency declarations an environment is built from."""

    source: str = Field(description="Where the test dependencies came from, for people.")
    installable: bool = Field(description="Whether the tree is a package that pip can install.")
    extras: list[str] = Field(default_factory=list, description="Extras installed with it.")
    requirements: list[str] = Field(default_factory=list, description="Requirement strings.")
    requirement_files: list[str] = Field(default_factory=list, description="`-r` files to use.")
    build_requires: list[str] = Field(default_factory=list, description="Build backend needs.")
    digests: dict[str, str] = Field(default_factory=dict, description="sha256 of used files.")

    def fingerprint(self, python_version: str, tools: tuple[str, ...]) -> str:
        """Hash of the declarations, the Python version and the measuring tools."""
        blob = f"{self.model_dump_json()}\0{python_version}\0{','.join(tools)}"
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


def _from_pyproject(pyproject: Mapping[str, Any]) -> tuple[str, list[str], list[str]] | None:
    """(source, extras, group requirements) from groups and extras, or None."""
    groups = pyproject.get("dependency-groups") or {}
    extras_table = (pyproject.get("project") or {}).get("optional-dependencies") or {}
    for names in (TEST_NAMES, DEV_NAMES):
        group_keys = _named(groups, names) if isinstance(groups, dict) else []
        extra_keys = _named(extras_table, names) if isinstance(extras_table, dict) else []
        if group_keys or extra_keys:
            reqs = [req for key in group_keys for req in _group(groups, key)]
            parts = [f"dependency-groups {', '.join(group_keys)}"] if group_keys else []
            parts += [f"extras {', '.join(extra_keys)}"] if extra_keys else []
            return "; ".join(parts), extra_keys, reqs
    return None


def _tox_deps(text: str) -> list[str]:
    """`[testenv] deps` of a tox.ini, {toxinidir} resolved and other macros dropped."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return []
    if not parser.has_option("testenv", "deps"):
        return []
    lines = [line.strip() for line in parser.get("testenv", "deps").splitlines()]
    lines = [line.replace("{toxinidir}/", "").replace("{toxinidir}", ".") for line in lines]
    lines = [f"-r {line[2:].strip()}" if line.startswith("-r") else line for line in lines]
    return [
        line
        for line in lines
        if line and "{" not in line and not line.startswith("#") and not _FACTOR.match(line)
    ]


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
    """Declarations of a tree given its file list and a reader of committed file texts."""
    digests = {
        name: hashlib.sha256(text.encode()).hexdigest()
        for name in PROJECT_FILES
        if (text := read(name)) is not None
    }
    installable = bool(digests)
    pyproject: dict[str, Any] = {}
    if (text := read("pyproject.toml")) is not None:
        try:
            pyproject = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            pyproject = {}
    build = pyproject.get("build-system") or {}
    build_requires = [r for r in build.get("requires", []) if isinstance(r, str)]
    if "build-system" not in pyproject and installable:
        build_requires = ["setuptools", "wheel"]
    if any(normalize(r).startswith("hatchling") for r in build_requires):
        # hatchling asks for `editables` only when building editable, as each measurement does.
        build_requires.append("editables")
    base = {"installable": installable, "build_requires": build_requires, "digests": digests}
    picked = _from_pyproject(pyproject)
    if picked is not None:
        source, extras, reqs = picked
        return Declarations(source=source, extras=extras, requirements=reqs, **base)
    for pattern in REQUIREMENT_GLOBS:
        hits = sorted(name for name in files if fnmatch(name, pattern))
        if hits:
            for name in hits:
                digests[name] = hashlib.sha256((read(name) or "").encode()).hexdigest()
            return Declarations(source=", ".join(hits), requirement_files=hits, **base)
    if (text := read("tox.ini")) is not None and (deps := _tox_deps(text)):
        digests["tox.ini"] = hashlib.sha256(text.encode()).hexdigest()
        return Declarations(source="tox.ini [testenv] deps", requirements=deps, **base)
    alone = "the project alone" if installable else "nothing (no project files)"
    return Declarations(source=f"{alone} plus pytest", **base)
