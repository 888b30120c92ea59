"""Changes to ruff/mypy/coverage/pytest/flake8 settings that may loosen them."""

from __future__ import annotations

import configparser
import posixpath
import re
import shlex
import tomllib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

LOOSENED_CONFIG = "anti-gaming/loosened-config"

LOOSENING_LISTS = {
    "ignore", "extend_ignore", "exclude", "extend_exclude", "per_file_ignores",
    "extend_per_file_ignores", "omit", "exclude_lines", "exclude_also", "norecursedirs",
    "disable_error_code",
}  # fmt: skip
# Lists that name more checks as they grow.
TIGHTENING_LISTS = {"select", "extend_select", "enable_error_code"}
# Lists of what a tool checks: growing one checks more; setting one where the tool checked
# its default (everything it finds) may check less.
SCOPE_LISTS = {"files", "testpaths", "packages", "modules", "source", "source_pkgs"}
# Python's warning actions (pytest's filterwarnings): 'error' turns a warning into a failure.
STRICT_WARNING_ACTIONS = ("error",)
TIGHTENING_BOOL_PREFIXES = ("strict", "warn_", "disallow_", "no_implicit_")
TIGHTENING_BOOLS = {"check_untyped_defs", "extra_checks", "branch", "xfail_strict"}
LOOSENING_BOOL_PREFIXES = ("ignore_", "allow_", "implicit_")
LOWER_IS_TIGHTER = {
    "line_length", "max_line_length", "max_doc_length", "max_complexity", "max_args",
    "max_branches", "max_returns", "max_statements",
}  # fmt: skip
HIGHER_IS_TIGHTER = {"fail_under"}
HARMLESS_KEYS = {
    "show_missing",
    "show_error_codes",
    "show_column_numbers",
    "show_error_context",
    "pretty",
    "color_output",
    "error_summary",
    "console_output_style",
    "output_format",
    "cache_dir",
    "markers",
    "minversion",
    "required_plugins",
    "log_cli",
    "log_cli_level",
    "log_level",
    "log_format",
    "log_date_format",
    "junit_family",
}
ADDOPTS_WITH_VALUE = {
    "-p",
    "-k",
    "-m",
    "-W",
    "-o",
    "-c",
    "-n",
    "--deselect",
    "--ignore",
    "--ignore-glob",
    "--maxfail",
    "--cov",
    "--cov-report",
    "--cov-fail-under",
    "--override-ini",
    "--rootdir",
    "--confcutdir",
    "--import-mode",
    "--tb",
    "--durations",
    "--basetemp",
}
HARMLESS_ADDOPTS = (
    "-q",
    "-v",
    "-r",
    "-l",
    "-s",
    "--tb",
    "--color",
    "--durations",
    "--no-header",
    "--showlocals",
    "--capture",
)
TIGHTENING_ADDOPTS = ("--strict-markers", "--strict-config", "--strict", "-W error", "-Werror")
BOOL_WORDS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}

Flat = dict[tuple[str, ...], Any]

# Where each tool a benchmark runs (or a project's checks run) reads its settings: file ->
# (tool: the tables or ini sections it reads there). Every other list of config files derives
# from this one table.
_BY_TOOL: dict[str, dict[str, tuple[str, ...]]] = {
    "ruff": {"pyproject.toml": ("tool.ruff",), "ruff.toml": ("",), ".ruff.toml": ("",)},
    "mypy": {
        **{"pyproject.toml": ("tool.mypy",), "mypy.ini": ("mypy",), ".mypy.ini": ("mypy",)},
        **{"setup.cfg": ("mypy",)},
    },
    "pytest": {
        **{"pyproject.toml": ("tool.pytest",), "pytest.ini": ("pytest",)},
        **{".pytest.ini": ("pytest",), "pytest.toml": ("pytest",), ".pytest.toml": ("pytest",)},
        **{"setup.cfg": ("tool:pytest",), "tox.ini": ("pytest",)},
    },
    "coverage": {
        **{"pyproject.toml": ("tool.coverage",), "setup.cfg": ("coverage",)},
        **{"tox.ini": ("coverage",)},
        ".coveragerc": ("run", "report", "paths", "html", "xml", "json"),
        ".coveragerc.toml": ("run", "report", "paths", "tool.coverage"),
    },
    "radon": {
        **{"pyproject.toml": ("tool.radon",), "radon.cfg": ("radon",)},
        **{"setup.cfg": ("radon",), "tox.ini": ("radon",)},
    },
    "flake8": {".flake8": ("flake8",), "setup.cfg": ("flake8",), "tox.ini": ("flake8",)},
}
TOOL_SOURCES: dict[str, tuple[str, ...]] = {}
for _files in _BY_TOOL.values():
    for _name, _where in _files.items():
        TOOL_SOURCES[_name] = (*TOOL_SOURCES.get(_name, ()), *_where)
TOOL_FILES = frozenset(TOOL_SOURCES)
INI_SECTIONS = tuple(
    dict.fromkeys(w for name, ws in TOOL_SOURCES.items() if not name.endswith(".toml") for w in ws)
)


def loosened_tool_config(path: str, before: str, after: str) -> list[str]:
    """Each change to ruff/mypy/coverage/pytest/flake8 settings that may loosen them."""
    name = posixpath.basename(path.replace("\\", "/"))
    reader = _READERS.get(name)
    if reader is None:
        return []
    try:
        new = reader(after)
    except (tomllib.TOMLDecodeError, configparser.Error) as exc:
        return [f"{LOOSENED_CONFIG}: {path} does not parse any more ({exc})"]
    try:
        old = reader(before)
    except (tomllib.TOMLDecodeError, configparser.Error):
        old = {}
    return [f"{LOOSENED_CONFIG}: {path} {text}" for text in _compare(old, new)]


def _flatten(value: Any, prefix: tuple[str, ...], out: Flat) -> Flat:
    """Tables become dotted keys, lists of tables become key[i]; scalars and lists stay."""
    if isinstance(value, Mapping):
        for key, sub in value.items():
            _flatten(sub, (*prefix, str(key)), out)
    elif isinstance(value, list) and any(isinstance(item, Mapping) for item in value):
        for index, item in enumerate(value):
            _flatten(item, (*prefix[:-1], f"{prefix[-1]}[{index}]"), out)
    else:
        out[prefix] = value
    return out


def _pyproject(text: str) -> Flat:
    """The tool tables of a pyproject.toml every measured tool reads (pytest's native
    [tool.pytest] apart from its [tool.pytest.ini_options])."""
    tool = tomllib.loads(text).get("tool", {})
    names = [w.removeprefix("tool.") for w in TOOL_SOURCES["pyproject.toml"] if w != "tool.pytest"]
    tables = {f"tool.{name}": tool.get(name) for name in names}
    pytest_table = tool.get("pytest", {})
    tables["tool.pytest.ini_options"] = pytest_table.get("ini_options")
    tables["tool.pytest"] = {k: v for k, v in pytest_table.items() if k != "ini_options"} or None
    return {
        key: value
        for name, table in tables.items()
        if table is not None
        for key, value in _flatten(table, (f"[{name}]",), {}).items()
    }


def _pytest_toml(text: str) -> Flat:
    """pytest 9's pytest.toml / .pytest.toml: the [pytest] table."""
    return _flatten(tomllib.loads(text).get("pytest", {}), ("[pytest]",), {})


def _ruff_toml(text: str) -> Flat:
    """A ruff.toml is all ruff config."""
    return _flatten(tomllib.loads(text), ("[ruff]",), {})


def _ini(text: str, wanted: tuple[str, ...]) -> Flat:
    """Sections of an ini file whose names equal or start with (for 'x:' / 'x-') a wanted name."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    flat: Flat = {}
    for section in parser.sections():
        if any(section == w or section.startswith((f"{w}:", f"{w}-")) for w in wanted):
            for key, raw in parser.items(section):
                flat[(f"[{section}]", key)] = _ini_value(key, raw)
    return flat


def _ini_value(key: str, raw: str) -> Any:
    """Ini strings as the tools read them: bools, numbers, lists of tokens."""
    text = raw.strip()
    if text.lower() in BOOL_WORDS:
        return BOOL_WORDS[text.lower()]
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        pass
    if _norm(key) in ("addopts", "filterwarnings"):
        return text
    parts = [part for part in re.split(r"[,\s]+", text) if part]
    listed = LOOSENING_LISTS | TIGHTENING_LISTS | SCOPE_LISTS
    return parts if len(parts) != 1 or _norm(key) in listed else text


def _norm(key: str) -> str:
    """Key names compare without case, dashes or list indexes."""
    return re.sub(r"\[\d+\]$", "", key).lower().replace("-", "_")


def _coveragerc_toml(text: str) -> Flat:
    """coverage's .coveragerc.toml: [run]/[report] tables, or the same under [tool.coverage]."""
    data = tomllib.loads(text)
    tables = {**data, **data.get("tool", {}).get("coverage", {})}
    tables.pop("tool", None)
    return _flatten(tables, ("[coverage]",), {})


def _reader(name: str) -> Callable[[str], Flat]:
    """How one configuration file is read: its TOML tables or its ini sections."""
    if name == "pyproject.toml":
        return _pyproject
    if name == ".coveragerc.toml":
        return _coveragerc_toml
    if name.endswith("ruff.toml"):
        return _ruff_toml
    if name.endswith(".toml"):
        return _pytest_toml
    return lambda text: _ini(text, TOOL_SOURCES[name])


_READERS: dict[str, Callable[[str], Flat]] = {name: _reader(name) for name in TOOL_SOURCES}


def _compare(old: Flat, new: Flat) -> Iterator[str]:
    """Descriptions of the loosening changes between two flattened configs."""
    for key in sorted(old.keys() | new.keys()):
        where = f"{key[0]} {'.'.join(key[1:])}"
        if key not in new:
            yield f"{where}: removed (was {old[key]!r})"
        elif old.get(key) != new[key]:
            reason = _loosens(key, old.get(key), new[key], key in old)
            if reason:
                yield f"{where}: {reason}"


def _loosens(key: tuple[str, ...], old: Any, new: Any, existed: bool) -> str | None:
    """Why a changed or added value loosens the tool, or None when it only tightens."""
    names = {_norm(part) for part in key[1:]}
    name = _norm(key[-1])
    if name in HARMLESS_KEYS:
        return None
    if name == "addopts":
        return _addopts_loosens(old if existed else "", new)
    if name == "filterwarnings":
        return _warnings_loosen(old if existed else [], new)
    if isinstance(new, list) and (not existed or isinstance(old, list)):
        before, after = set(map(str, old or [])), set(map(str, new))
        added, removed = sorted(after - before), sorted(before - after)
        if names & LOOSENING_LISTS:
            return f"adds {added}" if added else None
        if names & TIGHTENING_LISTS or (names & SCOPE_LISTS and existed):
            return f"removes {removed}" if removed else None
    elif isinstance(new, bool) and (not existed or isinstance(old, bool)):
        if name in TIGHTENING_BOOLS or name.startswith(TIGHTENING_BOOL_PREFIXES):
            return None if new else "turned off"
        if name.startswith(LOOSENING_BOOL_PREFIXES):
            return "turned on" if new else None
    elif isinstance(new, int | float) and not isinstance(new, bool):
        if name in HIGHER_IS_TIGHTER and (not existed or _lower(new, old) is False):
            return None
        if name in LOWER_IS_TIGHTER and existed and _lower(new, old) is True:
            return None
    return f"{'added' if not existed else 'changed from ' + repr(old)} to {new!r}"


def _warnings_loosen(old: Any, new: Any) -> str | None:
    """Warning filters loosen when a filter other than 'error' is added or an 'error' one removed
    (an ini value is one filter per line)."""

    def filters(value: Any) -> set[str]:
        items = value if isinstance(value, list) else str(value or "").splitlines()
        return {str(item).strip() for item in items if str(item).strip()}

    before, after = filters(old), filters(new)
    strict = [f for f in before - after if f.partition(":")[0].strip() in STRICT_WARNING_ACTIONS]
    added = [f for f in after - before if f.partition(":")[0].strip() not in STRICT_WARNING_ACTIONS]
    problems = [f"adds {sorted(added)}"] if added else []
    problems += [f"removes {sorted(strict)}"] if strict else []
    return "; ".join(problems) or None


def _lower(new: float, old: Any) -> bool | None:
    """Whether new is lower than old, or None when old isn't a number."""
    if isinstance(old, int | float) and not isinstance(old, bool):
        return new < old
    return None


def _addopts_tokens(value: Any) -> set[str]:
    """pytest options as single items, with their value joined ('-p no:cacheprovider')."""
    words = [str(word) for word in value] if isinstance(value, list) else shlex.split(str(value))
    tokens: set[str] = set()
    index = 0
    while index < len(words):
        word = words[index]
        if word in ADDOPTS_WITH_VALUE and index + 1 < len(words):
            word = f"{word} {words[index + 1]}"
            index += 1
        tokens.add(word)
        index += 1
    return tokens


def _addopts_loosens(old: Any, new: Any) -> str | None:
    """Added options other than output tweaks and strictness, or removed strictness, loosen."""
    try:
        before, after = _addopts_tokens(old), _addopts_tokens(new)
    except ValueError:
        return "addopts does not parse as shell words"
    added = sorted(
        t for t in after - before if not t.startswith(HARMLESS_ADDOPTS + TIGHTENING_ADDOPTS)
    )
    removed = sorted(t for t in before - after if not t.startswith(HARMLESS_ADDOPTS))
    problems = [f"adds {added}"] if added else []
    problems += [f"removes {removed}"] if removed else []
    return "; ".join(problems) or None
