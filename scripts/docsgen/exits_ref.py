"""The exit codes: the conventions, each error class's code, and each command's own codes."""

from __future__ import annotations

import ast
import signal

from docsgen.common import cell, page
from docsgen.messages import ROOT, error_classes, source_files


def _classes() -> list[tuple[str, int, str]]:
    """(name, exit code, first docstring line) of every error class, read from the code."""
    found: dict[str, tuple[list[str], int | None, str]] = {}
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in source_files()]
    names = error_classes(trees)
    for tree in trees:
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name in names:
                bases = [
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
                ]
                doc = (ast.get_docstring(node) or "").splitlines()[:1]
                found[node.name] = (bases, _own_code(node), doc[0] if doc else "")

    def code(name: str) -> int:
        bases, own, _ = found.get(name, ([], None, ""))
        if own is not None:
            return own
        return next((code(b) for b in bases if b in found), 1)

    rows = [(name, code(name), doc) for name, (_, _, doc) in found.items()]
    return sorted(rows, key=lambda row: (row[1], row[0]))


def _own_code(node: ast.ClassDef) -> int | None:
    """The class's own `exit_code = N`, if it sets one."""
    for item in node.body:
        if (
            isinstance(item, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "exit_code" for t in item.targets)
            and isinstance(item.value, ast.Constant)
            and isinstance(item.value.value, int)
        ):
            return item.value.value
    return None


def command_codes() -> dict[str, list[int]]:
    """Each command function's literal `typer.Exit(N)` codes, read from its body."""
    codes: dict[str, list[int]] = {}
    tree = ast.parse((ROOT / "main.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        names = [_command_name(d) for d in node.decorator_list]
        name = next((n for n in names if n), None)
        if name is None:
            continue
        found = {
            sub.args[0].value
            for sub in ast.walk(node)
            if isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr == "Exit"
            and sub.args
            and isinstance(sub.args[0], ast.Constant)
            and isinstance(sub.args[0].value, int)
        }
        if found:
            codes[name] = sorted(found)
    return codes


def _command_name(decorator: ast.expr) -> str | None:
    """`run` for `@app.command("run")`, `config show` for `@config_app.command("show")`."""
    if not (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)):
        return None
    if decorator.func.attr != "command" or not decorator.args:
        return None
    arg = decorator.args[0]
    if not isinstance(arg, ast.Constant):
        return None
    owner = decorator.func.value
    group = owner.id.removesuffix("_app") if isinstance(owner, ast.Name) else "app"
    return str(arg.value) if group == "app" else f"{group} {arg.value}"


def render() -> str:
    """The whole page."""
    from typer._click.exceptions import UsageError

    from self_improving_agent.base.errors import AgentError

    body = [
        "| code | when |",
        "|---|---|",
        "| 0 | the command did what was asked; for `run` and `loop`: the generations ran, "
        "accepted, rejected or pending (a merge refused for your uncommitted changes or a git "
        "lock leaves its generation pending, with the reason and `agent merge N` to finish) |",
        f"| {AgentError.exit_code} | an error of the agent: bad config, missing key, not a git "
        "repository, an `agent merge N` that was refused, the loop's circuit "
        "breaker; one sentence on stderr |",
        f"| {UsageError.exit_code} | a usage error: unknown option, missing argument, a "
        "generation that is neither a number nor `latest` |",
        "| 130 | interrupted with Ctrl-C; the running generation is cleaned up and recorded "
        "as interrupted |",
        f"| {128 + signal.SIGTERM} / {128 + signal.SIGHUP} | stopped by SIGTERM / SIGHUP (128 + "
        "the signal), cleaned up the same way |",
        "",
        "## By error",
        "",
        "Every error the agent reports in one sentence belongs to one of these classes; the "
        "[troubleshooting page](../troubleshooting.md) lists the sentences.",
        "",
        "| error | exit code | meaning |",
        "|---|---|---|",
        *[f"| `{name}` | {code} | {cell(doc)} |" for name, code, doc in _classes()],
        "",
        "## By command",
        "",
        "Codes a command returns by itself, beyond those above.",
        "",
        "| command | codes |",
        "|---|---|",
        *[
            f"| `agent {name}` | {', '.join(map(str, codes))} |"
            for name, codes in command_codes().items()
        ],
    ]
    intro = "What the `agent` command's exit status means, for scripts and CI."
    return page("Exit codes", intro, body)
