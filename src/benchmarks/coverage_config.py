"""The project's own coverage settings, read where coverage.py reads them, plus the agent's few."""

from __future__ import annotations

import configparser
import json
import os
import re
import tempfile
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from self_improving_agent.benchmarks.sources import SKIP_DIRS, TEST_DIRS, SourceTree

# coverage.py's own order: the first file holding coverage settings is the one it uses.
# (file, its own file so every section counts, TOML)
CONFIG_FILES = (
    (".coveragerc", True, False),
    (".coveragerc.toml", True, True),
    ("setup.cfg", False, False),
    ("tox.ini", False, False),
    ("pyproject.toml", False, True),
)
# Options that say which files are measured; without one the agent names the project's packages.
SELECTING = ("source", "source_pkgs", "include")
# Folders that hold no part of the project's product, whatever they contain.
NOT_PRODUCT = frozenset(
    {*TEST_DIRS, "docs", "doc", "benchmarks", "benchmark", "bench", "scripts", "examples", "tools"}
)
# Test code inside a package the agent names: traced only when the project's config says so.
TEST_GLOBS = ("*/tests/*", "*/test/*", "*/testing/*", "*/test_*.py", "*_test.py", "*/conftest.py")

Value = str | bool | int | float | list[Any] | dict[str, Any]


@dataclass(frozen=True)
class CoverageConfig:
    """coverage.py's settings by section, as read from one file, and which file that was."""

    origin: str = ""
    toml: bool = False
    sections: dict[str, dict[str, Value]] = field(default_factory=dict)

    def names_source(self) -> bool:
        """Whether the project says itself which files are measured."""
        run = self.sections.get("run", {})
        return any(run.get(option) for option in SELECTING)

    def described(self) -> str:
        """Where the settings came from, for people."""
        return self.origin or "no coverage settings of the project's own"


def _ini(text: str, own: bool) -> dict[str, dict[str, Value]]:
    """Coverage sections of an ini file: [coverage:X] anywhere, plain [X] in .coveragerc."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    found: dict[str, dict[str, Value]] = {}
    for name in parser.sections():
        short = name.removeprefix("coverage:")
        if short != name or own:
            found.setdefault(short, {}).update(dict(parser.items(name, raw=True)))
    return found


def _toml(text: str, own: bool) -> dict[str, dict[str, Value]]:
    """Coverage tables of a TOML file: [tool.coverage.X], or plain [X] in .coveragerc.toml."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}
    tool = data.get("tool")
    tables = tool.get("coverage") if isinstance(tool, dict) else None
    if not isinstance(tables, dict):
        tables = data if own else {}
    return {name: dict(value) for name, value in tables.items() if isinstance(value, dict)}


def read_coverage_config(root: Path) -> CoverageConfig:
    """The settings coverage.py itself would use when started in root."""
    for name, own, is_toml in CONFIG_FILES:
        try:
            text = (root / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        sections = (_toml if is_toml else _ini)(text, own)
        if sections or own:
            return CoverageConfig(name, is_toml, sections)
    return CoverageConfig()


def own_sources(tree: SourceTree) -> list[str]:
    """The project's own packages and top-level modules: never tests, docs, scripts, benchmarks."""
    packages = [
        pkg
        for pkg in tree.top_packages()
        if not NOT_PRODUCT.intersection(PurePosixPath(pkg).parts)
        and not SKIP_DIRS.intersection(PurePosixPath(pkg).parts)
    ]
    # Loose top-level modules are the product only where there is no package (six.py); beside
    # a package they are its scripts (bench.py). Coverage takes a name that is no folder as one.
    return packages or list(tree.loose_modules())


def _glob(rel: str) -> str:
    """A coverage glob for one repo-relative file; it cannot escape wildcards, so each is a `?`."""
    return "*/" + _literal(re.sub(r"[][*?]", "?", rel))


def _literal(text: str) -> str:
    """A value coverage reads as written: it expands $NAME, and $$ is one dollar."""
    return text.replace("$", "$$")


def _as_list(value: Value | None) -> list[str]:
    """An option's value as coverage reads a list: comma- or newline-separated in ini files."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return [part.strip() for line in str(value).splitlines() for part in line.split(",") if part]


def effective(
    config: CoverageConfig, data_file: Path, tree: SourceTree, omit: Sequence[str] = ()
) -> CoverageConfig:
    """The project's settings with the agent's: its data file, relative paths, extra omissions.

    Where the project names no source, its own packages are measured and their tests are not.
    """
    sections = {name: dict(options) for name, options in config.sections.items()}
    run = sections.setdefault("run", {})
    extra = [_glob(rel) for rel in omit]
    if not config.names_source():
        run["source"] = own_sources(tree) or ["."]
        extra += [*TEST_GLOBS, *(f"*/{name}/*" for name in sorted(NOT_PRODUCT - TEST_DIRS))]
    if extra:
        run["omit"] = [*_as_list(run.get("omit")), *extra]
    run["data_file"] = _literal(str(data_file))
    run["relative_files"] = True
    return CoverageConfig(config.origin, config.toml, sections)


def _ini_value(value: Value) -> str:
    """A value written the way coverage.py's ini reader reads it back."""
    if isinstance(value, list):
        return "".join(f"\n    {item}" for item in value)
    return str(value).replace("\n", "\n    ")


def rc_text(config: CoverageConfig) -> str:
    """The settings as a coverage rc file: TOML when they came from TOML, else ini."""
    lines: list[str] = []
    for name, options in config.sections.items():
        if config.toml:
            lines.append(f"[{json.dumps(name)}]")
            lines += [f"{json.dumps(k)} = {_toml_value(v)}" for k, v in options.items()]
        else:
            lines.append(f"[{name}]")
            lines += [f"{k} = {_ini_value(v)}" for k, v in options.items()]
        lines.append("")
    return "\n".join(lines)


def _toml_value(value: Value) -> str:
    """A TOML literal for a value read from TOML (JSON's strings, numbers and arrays are TOML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        pairs = (f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def write_rc(config: CoverageConfig, folder: Path) -> Path:
    """A new rc file in folder, never written over or through a link; its suffix tells
    coverage.py how to read it."""
    fd, name = tempfile.mkstemp(
        prefix="coveragerc-", suffix=".toml" if config.toml else "", dir=folder
    )
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(rc_text(config))
    return Path(name)
