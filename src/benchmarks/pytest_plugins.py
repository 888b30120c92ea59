"""Which pytest plugins a project's own configuration leaves loaded (its addopts' `-p` options)."""

from __future__ import annotations

import configparser
import contextlib
import shlex
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

# The plugins the agent's own pytest options need, by the names pytest registers them under.
COV_PLUGIN, XDIST_PLUGIN = "pytest_cov", "xdist"
# The distribution that provides each of them.
PLUGIN_DISTS = {COV_PLUGIN: "pytest-cov", XDIST_PLUGIN: "pytest-xdist"}
# The ini files pytest reads, in its order, and the section each must hold to count.
_INI_FILES = (("pytest.ini", "pytest"), (".pytest.ini", "pytest"))
_CFG_FILES = (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest"))


def _ini_addopts(path: Path, section: str, required: bool) -> str | None:
    """addopts of one ini file's section; "" when the file counts but sets none, else None."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None if required or not path.is_file() else ""
    if not parser.has_section(section):
        return None if required else ""
    return parser.get(section, "addopts", fallback="")


def project_addopts(root: Path) -> str:
    """The addopts of the config file pytest itself picks in root (none: "")."""
    for name, section in _INI_FILES:
        if (root / name).is_file():
            return _ini_addopts(root / name, section, required=False) or ""
    with contextlib.suppress(OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        options = ((data.get("tool") or {}).get("pytest") or {}).get("ini_options")
        if isinstance(options, dict):
            value = options.get("addopts", "")
            return " ".join(value) if isinstance(value, list) else str(value)
    for name, section in _CFG_FILES:
        found = _ini_addopts(root / name, section, required=True)
        if found is not None:
            return found
    return ""


def _plugin_args(words: Iterable[str]) -> list[str]:
    """The values of every `-p NAME` / `-pNAME` option, in order."""
    found: list[str] = []
    pending = iter(words)
    for word in pending:
        if word == "-p":
            found.append(next(pending, ""))
        elif word.startswith("-p") and not word.startswith("--"):
            found.append(word[2:].lstrip("="))
    return found


def _names(name: str) -> set[str]:
    """The names pytest blocks or unblocks for one `-p` value (it adds the pytest_ prefix)."""
    return {name} if name.startswith("pytest_") else {name, f"pytest_{name}"}


def loaded_plugins(root: Path, setenv: Mapping[str, str], wanted: Iterable[str]) -> frozenset[str]:
    """Which of the wanted plugins pytest loads under the project's addopts and tox setenv."""
    text = f"{project_addopts(root)} {setenv.get('PYTEST_ADDOPTS', '')}"
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    loaded = {} if setenv.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") else dict.fromkeys(wanted, True)
    for value in _plugin_args(words):
        blocked = value.startswith("no:")
        for name in _names(value.removeprefix("no:")):
            if blocked:
                loaded.pop(name, None)
            else:
                loaded[name] = True
    return frozenset(name for name in wanted if name in loaded)


def usable_plugins(
    root: Path, setenv: Mapping[str, str], packages: frozenset[str] | None
) -> frozenset[str]:
    """The agent's plugins that load: held by the environment (None: assumed) and not disabled."""
    held = [name for name, dist in PLUGIN_DISTS.items() if packages is None or dist in packages]
    return loaded_plugins(root, setenv, held)
