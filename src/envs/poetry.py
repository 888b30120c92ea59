"""Poetry's dependency groups as PEP 508 requirement strings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_VERSION = re.compile(r"^\d+(\.\d+)*$")


def _bump(parts: list[int], index: int) -> str:
    """The version with parts[index] raised by one and everything after it dropped."""
    raised = [*parts[:index], parts[index] + 1]
    return ".".join(str(p) for p in raised)


def _range(op: str, version: str) -> str:
    """Poetry's ^ and ~ ranges in PEP 440 terms."""
    parts = [int(p) for p in version.split(".")]
    if op == "~":
        index = 1 if len(parts) > 1 else 0
    else:
        nonzero = next((i for i, p in enumerate(parts) if p), len(parts) - 1)
        index = min(nonzero, len(parts) - 1)
    return f">={version},<{_bump(parts, index)}"


def specifier(constraint: str) -> str | None:
    """A PEP 440 specifier for a Poetry constraint, "" for any, None when it has none."""
    text = constraint.strip()
    if text in ("", "*"):
        return ""
    if "||" in text:
        return None
    if text[0] in "^~" and text[1:2] != "=" and _VERSION.match(text[1:].strip()):
        return _range(text[0], text[1:].strip())
    if _VERSION.match(text) or text.endswith(".*"):
        return f"=={text}"
    # `>= 1.2, < 2` and `>=1.2 <2` both mean both: operators glued, the rest joined by commas.
    glued = re.sub(r"([<>=!~]+)\s+", r"\1", text)
    return ",".join(part for part in re.split(r"[,\s]+", glued) if part)


def python_marker(constraint: str) -> str | None:
    """A Poetry `python` constraint of one dependency as a PEP 508 marker, None when it has none."""
    spec = specifier(constraint)
    if not spec:
        return None
    clauses = []
    for part in spec.split(","):
        version = part.lstrip("<>=!~")
        op = part[: len(part) - len(version)]
        version = version.removesuffix(".*")
        field = "python_full_version" if version.count(".") >= 2 else "python_version"
        clauses.append(f'{field} {op or "=="} "{version}"')
    return " and ".join(clauses)


def _one(name: str, table: Mapping[str, Any]) -> str | None:
    """One Poetry constraint table as a requirement string; None for paths, URLs and git."""
    if any(key in table for key in ("path", "git", "url", "file")):
        return None
    version = specifier(str(table.get("version", "*")))
    extras = [e for e in table.get("extras", []) if isinstance(e, str)]
    out = name + (f"[{','.join(extras)}]" if extras else "") + (version or "")
    markers = [f"({m})" for m in [table.get("markers")] if isinstance(m, str)]
    if isinstance(table.get("python"), str) and (python := python_marker(table["python"])):
        markers.append(f"({python})")
    return f"{out}; {' and '.join(markers)}" if markers else out


def requirements(name: str, spec: object) -> list[str]:
    """One Poetry dependency as requirement strings: one per entry of a multiple-constraints list.

    `mypy = [{version = "^1.0", python = "<3.8"}, {version = "^1.5", python = ">=3.8"}]` is
    two requirements, each under its Python marker, as Poetry itself reads it.
    """
    if name.lower() == "python":
        return []
    entries = spec if isinstance(spec, list) else [spec]
    tables = [e if isinstance(e, dict) else {"version": e} for e in entries]
    return [req for table in tables if (req := _one(name, table)) is not None]


def group_requirements(poetry: Mapping[str, Any], name: str) -> list[str] | None:
    """A Poetry group's requirements (dev also from dev-dependencies), or None when absent."""
    groups = poetry.get("group") or {}
    deps = (groups.get(name) or {}).get("dependencies") if isinstance(groups, dict) else None
    if deps is None and name == "dev":
        deps = poetry.get("dev-dependencies")
    if not isinstance(deps, dict):
        return None
    return [req for key, spec in deps.items() for req in requirements(key, spec)]


def python_constraint(poetry: Mapping[str, Any]) -> str | None:
    """Poetry's `python` dependency as a PEP 440 specifier, or None when absent."""
    deps = poetry.get("dependencies") or {}
    value = deps.get("python") if isinstance(deps, dict) else None
    if isinstance(value, dict):
        value = value.get("version")
    return specifier(value) if isinstance(value, str) else None
