"""Every `agent …` command line in the manual and the README parses against the Typer app."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main

from self_improving_agent.cli.app import app
from tests.docs.docs_kit import ROOT, pages, split_code

# Commands whose pages were written before the command itself merged; they are checked as soon
# as the app has them, and skipped until then.
UPCOMING = {"vet"}
PREFIX = re.compile(r"^(?:\$ )?(?:\S*/)?agent(?= |$)")
INLINE = re.compile(r"`(agent [^`]+)`")


def command_lines(path: Path) -> list[str]:
    """The agent command lines a page shows: in code blocks and in inline code."""
    prose, code = split_code(path.read_text(encoding="utf-8"))
    found = [line.strip() for line in code if PREFIX.match(line.strip())]
    found += [m.group(1) for line in prose for m in INLINE.finditer(line)]
    return found


def words(line: str) -> list[str]:
    """The arguments after `agent`, with a synopsis' brackets and alternatives resolved."""
    line = PREFIX.sub("", line.strip(), count=1)
    line = re.split(r"\s(?:#|\|\||&&|>|\|)\s", line + " ", maxsplit=1)[0]
    line = line.replace("\\|", "|")
    out = []
    for token in shlex.split(line.replace("[", " ").replace("]", " ")):
        if token in ("...", "…", "|"):
            continue
        out.append(token.split("|")[0] if token.startswith("-") or "|" in token else token)
    return [t for t in out if t]


def parse(args: list[str]) -> str | None:
    """Why these arguments do not parse as a command of the app, or None when they do."""
    command: Any = typer.main.get_command(app)
    path = ["agent"]
    while getattr(command, "commands", None) and args and not args[0].startswith("-"):
        name = args[0]
        if name not in command.commands:
            return f"no command {' '.join([*path, name])!r}"
        command = command.commands[name]
        path.append(name)
        args = args[1:]
    ctx = command.context_class(command, info_name=" ".join(path))
    try:
        _opts, rest, _ = command.make_parser(ctx).parse_args(list(args))
    except Exception as exc:  # the parser's usage errors, each with click's own message
        return f"{' '.join(path)}: {exc}"
    if rest and not getattr(command, "commands", None):
        return f"{' '.join(path)}: unexpected extra arguments {rest}"
    return None


CASES = [
    (path.relative_to(ROOT).as_posix(), line)
    for path in pages()
    if path.name != "cli.md"
    for line in command_lines(path)
]


def test_the_pages_hold_command_lines_to_check() -> None:
    assert len(CASES) > 50
    assert any(page == "README.md" for page, _ in CASES)


@pytest.mark.parametrize(("page", "line"), CASES)
def test_command_line_parses(page: str, line: str) -> None:
    args = words(line)
    if args and args[0] in UPCOMING and args[0] not in typer.main.get_command(app).commands:
        pytest.skip(f"`agent {args[0]}` is not in this build yet")
    assert parse(args) is None, f"{page}: `{line}`: {parse(args)}"


def test_a_wrong_option_or_command_is_caught() -> None:
    assert parse(words("agent bench --json --only lint_score")) is None
    assert parse(words("agent report [N|latest] [--json]")) is None
    assert "No such option" in str(parse(words("agent bench --jsn")))
    assert "no command" in str(parse(words("agent benchmark")))
    assert "extra arguments" in str(parse(words("agent merge 3 4")))
