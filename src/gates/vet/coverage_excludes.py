"""coverage's exclusion regexes as main configures them, and lines a change adds that they match
only through a comment (coverage matches source text, so a comment can drop a whole block)."""

from __future__ import annotations

import configparser
import io
import re
import tokenize
import tomllib
from collections import Counter
from collections.abc import Callable

# coverage's built-in pattern, kept when only exclude_also is set.
DEFAULT = r"#\s*(pragma|PRAGMA)[:\s]?\s*(no|NO)\s*(cover|COVER)"
INI_SECTIONS = {
    ".coveragerc": "report",
    "setup.cfg": "coverage:report",
    "tox.ini": "coverage:report",
}


def _lines(value: object) -> list[str]:
    """A TOML list or an ini multi-line value as patterns."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def main_patterns(read: Callable[[str], str | None]) -> tuple[str, ...]:
    """The exclusion regexes of main's coverage settings (the first file that sets any wins)."""
    found: dict[str, list[str]] = {}
    text = read("pyproject.toml")
    try:
        report = tomllib.loads(text or "").get("tool", {}).get("coverage", {}).get("report", {})
    except tomllib.TOMLDecodeError:
        report = {}
    if isinstance(report, dict):
        found = {k: _lines(report[k]) for k in ("exclude_lines", "exclude_also") if k in report}
    for name, section in INI_SECTIONS.items():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(read(name) or "")
        except configparser.Error:
            continue
        if parser.has_section(section):
            for key in ("exclude_lines", "exclude_also"):
                if parser.has_option(section, key):
                    found[key] = _lines(parser.get(section, key))
    lines = found.get("exclude_lines", [DEFAULT])
    return tuple(dict.fromkeys([*lines, *found.get("exclude_also", [])]))


def _code_part(line: str) -> str:
    """A line without its comment (tokenized, so a '#' inside a string stays)."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(line + "\n").readline):
            if token.type == tokenize.COMMENT:
                return line[: token.start[1]]
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return line


def hidden_exclusions(patterns: tuple[str, ...], before: str | None, after: str) -> list[int]:
    """Numbers of added lines an exclusion pattern matches only through their comment."""
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error:
            continue
    old = Counter((before or "").splitlines())
    found = []
    for number, line in enumerate(after.splitlines(), start=1):
        if old[line] > 0:
            old[line] -= 1
            continue
        if "#" not in line:
            continue
        code = _code_part(line)
        if any(r.search(line) and not r.search(code) for r in compiled if "#" not in r.pattern):
            found.append(number)
    return found
