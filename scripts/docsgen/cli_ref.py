"""The command-line reference: every command and option, read from the Typer app."""

from __future__ import annotations

from typing import Any

import typer.main

from docsgen.common import cell, code, page


def root_command(app: typer.Typer) -> Any:
    """The click command tree Typer builds from the app."""
    return typer.main.get_command(app)


def walk(command: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    """Every command under this one, depth first, in the order the app registers them."""
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        if not sub.hidden:
            found += walk(sub, (*path, name))
    return found


def _section(path: tuple[str, ...], command: Any) -> list[str]:
    """One command's heading, help, usage line and option table."""
    ctx = command.context_class(command, info_name=" ".join(path))
    lines = [f"## {' '.join(path)}", "", (command.help or "").strip(), ""]
    # Built from the pieces rather than get_usage(), which wraps at the terminal's width.
    usage = " ".join([*path, *command.collect_usage_pieces(ctx)])
    lines += ["```", f"Usage: {usage}", "```", ""]
    params = [p for p in command.get_params(ctx) if not p.hidden]
    rows = []
    for param in params:
        record = param.get_help_record(ctx)
        if record is not None:
            rows.append(f"| {code(record[0])} | {cell(record[1])} |")
        elif param.param_type_name == "argument":
            rows.append(f"| `{param.human_readable_name}` | argument |")
    if rows:
        lines += ["| option | meaning |", "|---|---|", *rows, ""]
    subs = [name for name, sub in getattr(command, "commands", {}).items() if not sub.hidden]
    if subs:
        lines += ["Commands: " + ", ".join(f"`{' '.join((*path, s))}`" for s in subs) + ".", ""]
    return lines


def render(app: typer.Typer) -> str:
    """The whole page."""
    body: list[str] = []
    for path, command in walk(root_command(app), ("agent",)):
        body += _section(path, command)
    intro = (
        "Every command and option of `agent`, as `agent COMMAND --help` prints them. "
        "Every command takes `--repo` (the target repository) and `--config` (its config file); "
        "see [Configuration](config.md) for what the config holds."
    )
    return page("Command line", intro, body)
