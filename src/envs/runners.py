"""The test dependencies a project's test runner installs: tox's default environment, nox's."""

from __future__ import annotations

import ast
import configparser
import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

Reader = Callable[[str], str | None]
# `py38: mock` applies to some tox environments only; the default one has no factors.
_FACTOR = re.compile(r"^[\w.,!-]+:\s")
NOX_TEST_SESSIONS = ("tests", "test", "testing")


class RunnerDeps(NamedTuple):
    """What a test runner installs besides the project: requirements, extras, groups."""

    where: str
    requirements: list[str]
    extras: list[str]
    groups: list[str]


def _items(value: object) -> list[str]:
    """A tox list value: a TOML list of strings, or ini text split on lines and commas."""
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    if not isinstance(value, str):
        return []
    return [part.strip() for line in value.splitlines() for part in line.split(",") if part.strip()]


def _deps(lines: list[str]) -> list[str]:
    """tox deps as requirement lines: {toxinidir} resolved, other macros and factors dropped."""
    lines = [line.strip().replace("{toxinidir}/", "").replace("{toxinidir}", ".") for line in lines]
    lines = [f"-r {line[2:].strip()}" if line.startswith("-r") else line for line in lines]
    return [
        line
        for line in lines
        if line and "{" not in line and not line.startswith("#") and not _FACTOR.match(line)
    ]


def _from_section(where: str, section: Mapping[str, Any]) -> RunnerDeps | None:
    """The deps, extras and dependency groups of one default test environment, if any."""
    deps = section.get("deps", "")
    # ini deps are one requirement a line; a comma may sit inside a version range.
    lines = deps.splitlines() if isinstance(deps, str) else _items(deps)
    found = RunnerDeps(
        where,
        _deps(lines),
        [e for e in _items(section.get("extras")) if "{" not in e],
        _items(section.get("dependency_groups")),
    )
    return found if found.requirements or found.extras or found.groups else None


def _ini(where: str, text: str) -> RunnerDeps | None:
    """[testenv] of a tox ini text."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    if not parser.has_section("testenv"):
        return None
    return _from_section(f"{where} [testenv]", dict(parser.items("testenv", raw=True)))


def tox_deps(read: Reader) -> RunnerDeps | None:
    """tox's default test environment, from the file tox itself would read."""
    if (text := read("tox.ini")) is not None:
        return _ini("tox.ini", text)
    if (text := read("setup.cfg")) is not None and "[tox:tox]" in text:
        return _ini("setup.cfg", text)
    for name, prefix in (("tox.toml", ()), ("pyproject.toml", ("tool", "tox"))):
        if (text := read(name)) is None:
            continue
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            continue
        for key in prefix:
            data = data.get(key) if isinstance(data, dict) else None
        if not isinstance(data, dict):
            continue
        if isinstance(legacy := data.get("legacy_tox_ini"), str):
            return _ini(f"{name} legacy_tox_ini", legacy)
        if isinstance(base := data.get("env_run_base"), dict):
            return _from_section(f"{name} env_run_base", base)
    return None


def _session_name(func: ast.FunctionDef) -> str | None:
    """The name of a nox session function, or None when it is not one."""
    for deco in func.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if ast.unparse(target) not in ("nox.session", "session"):
            continue
        named = [k.value for k in getattr(deco, "keywords", []) if k.arg == "name"]
        if named and isinstance(named[0], ast.Constant) and isinstance(named[0].value, str):
            return named[0].value
        return func.name
    return None


def _strings(node: ast.expr, constants: Mapping[str, list[str]]) -> list[str] | None:
    """A literal string, a module-level list of them, or None when not literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Starred) and isinstance(node.value, ast.Name):
        return constants.get(node.value.id)
    return None


def _constants(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level NAME = [literal strings] assignments."""
    found: dict[str, list[str]] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name) and isinstance(stmt.value, ast.List | ast.Tuple):
                items = [e.value for e in stmt.value.elts if isinstance(e, ast.Constant)]
                if all(isinstance(i, str) for i in items) and len(items) == len(stmt.value.elts):
                    found[target.id] = [str(i) for i in items]
    return found


def _install_args(func: ast.FunctionDef, constants: Mapping[str, list[str]]) -> list[str] | None:
    """The arguments of every session.install call, or None when one is not literal."""
    args: list[str] = []
    for node in ast.walk(func):
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith(".install"):
            for arg in node.args:
                strings = _strings(arg, constants)
                if strings is None:
                    return None
                args += strings
    return args


def nox_deps(read: Reader) -> RunnerDeps | None:
    """What noxfile.py's test session installs, where its install calls are literal."""
    text = read("noxfile.py")
    if text is None:
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    constants = _constants(tree)
    sessions = {
        name: func
        for func in tree.body
        if isinstance(func, ast.FunctionDef) and (name := _session_name(func))
    }
    name = next((n for n in NOX_TEST_SESSIONS if n in sessions), None)
    args = _install_args(sessions[name], constants) if name else None
    if not args:
        return None
    reqs: list[str] = []
    extras: list[str] = []
    pending = iter(args)
    for arg in pending:
        if arg in ("-r", "--requirement"):
            reqs.append(f"-r {next(pending, '')}")
        elif arg.startswith((".[", "-e")) or arg == ".":
            extras += re.findall(r"\[([^]]*)\]", arg)[0].split(",") if "[" in arg else []
        elif not arg.startswith("-"):
            reqs.append(arg)
    return RunnerDeps(f"noxfile.py session {name}", reqs, [e.strip() for e in extras], [])
