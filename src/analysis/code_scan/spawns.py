"""Calls that start processes: a shell flag, or an argv that runs a shell or code string."""

from __future__ import annotations

import ast
from collections.abc import Callable

from self_improving_agent.analysis.code_scan.argv import Element, argv_problem
from self_improving_agent.analysis.code_scan.flow import Flow
from self_improving_agent.analysis.code_scan.rules import (
    EXEC_SPAWNS,
    RAW_SPAWNS,
    SPAWN_ARGV,
    SUBPROCESS_SHELL,
)
from self_improving_agent.analysis.code_scan.values import strings

# Popen's ninth positional parameter is `shell`.
SHELL_POSITION = 8
Report = Callable[[str, ast.AST, str], None]


def falsy_literal(node: ast.expr) -> bool:
    """Whether node is a literal that is false (False, None, 0, '')."""
    return isinstance(node, ast.Constant) and not node.value


def keyword_value(node: ast.Call, name: str) -> ast.expr | None:
    """The value of a keyword argument."""
    return next((k.value for k in node.keywords if k.arg == name), None)


class SpawnChecks:
    """The spawn rules, reporting through the checker's `add`."""

    def __init__(self, flow: Flow, report: Report) -> None:
        """Rules over one module's solved values."""
        self.flow = flow
        self.report = report

    def shell_unsafe(self, call: ast.Call, positional: bool, forwarded: bool = True) -> bool:
        """Whether a call may pass a truthy shell: literal falsy shell or none at all is safe
        (forwarded=False leaves out an opaque `**kwargs`)."""
        if positional and (
            len(call.args) > SHELL_POSITION or any(isinstance(a, ast.Starred) for a in call.args)
        ):
            return True
        for keyword in call.keywords:
            if keyword.arg == "shell" and not falsy_literal(keyword.value):
                return True
            if keyword.arg is None:
                if not isinstance(keyword.value, ast.Dict):
                    if forwarded:
                        return True
                    continue
                for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                    named = None if key is None else self.flow.fold(key)
                    if (named is None or "shell" in named) and not falsy_literal(value):
                        return True
        return False

    def argv_from(self, args: list[ast.expr]) -> list[Element]:
        """Positional arguments as argv elements (a starred one is unknown)."""
        return [None if isinstance(a, ast.Starred) else self.flow.resolve(a) for a in args]

    def argv_of(self, value: ast.expr | None) -> list[Element]:
        """The argv elements a list (or command string) argument may hold."""
        if value is None:
            return []
        values = self.flow.resolve(value)
        seqs = [self.flow.seq_items(v) for v in values if v.startswith("<seq>")]
        texts = strings(values) if not seqs else None
        if texts:
            split = [self.flow.split_command(value, t) for t in texts]
            seqs = [self.flow.seq_items(s) for s in split]
        if len(seqs) != 1:
            return [None] if values or seqs else []
        seq = seqs[0]
        argv = [None if star else item for item, star in zip(seq.items, seq.starred, strict=True)]
        # Words appended to the list after it was built (argv.append('-c')) follow it.
        added = frozenset(v for v in values if not v.startswith("<seq>"))
        return [*argv, added] if added and not texts else argv

    def check_argv(self, node: ast.Call, argv: list[Element], required: bool, name: str) -> None:
        """Refuse an argv that starts a shell or interpreter on code from a string."""
        feeds = any(k.arg in ("input", "stdin") for k in node.keywords)
        problem = argv_problem(argv, feeds, required)
        if problem:
            self.report(SPAWN_ARGV, node, f"{name}: {problem}")

    def _forwarded_only(self, node: ast.Call) -> bool:
        """Whether only forwarded `**kwargs` (no shell given by name or position) may set shell."""
        named = any(k.arg == "shell" for k in node.keywords)
        return not named and not self.shell_unsafe(node, positional=True, forwarded=False)

    def constant_list(self, argv: list[Element]) -> bool:
        """Whether every argv word is one known constant (a shell would run those words)."""
        for element in argv:
            texts = None if element is None else strings(element)
            if texts is None or len(texts) != 1:
                return False
        return bool(argv)

    def check_subprocess(self, node: ast.Call, func: str) -> None:
        """No shell, and no shell or interpreter told to run a string."""
        first = node.args[0] if node.args else keyword_value(node, "args")
        argv = self.argv_of(first) if first is not None else []
        # A list argv given to a shell runs its first word as the command line: a constant
        # list stays the same constant command, so forwarded keywords cannot make it code.
        listed = first is not None and isinstance(first, ast.List | ast.Tuple)
        safe_list = listed and self.constant_list(argv) and self._forwarded_only(node)
        if self.shell_unsafe(node, positional=True) and not safe_list:
            self.report(SUBPROCESS_SHELL, node, f"{func} with a shell may not be used")
            return
        executable = keyword_value(node, "executable")
        if executable is not None:
            argv = [self.flow.resolve(executable), *argv[1:]]
        if argv:
            self.check_argv(node, argv, False, func)

    def check_raw_spawn(self, node: ast.Call, func: str) -> None:
        """os.exec*/spawn*/posix_spawn/pty.spawn and create_subprocess_exec: argv must be clear."""
        if func in EXEC_SPAWNS:
            self.check_argv(node, self.argv_from(node.args), False, func)
            return
        start, style = RAW_SPAWNS[func]
        args = node.args[start:]
        if style == "argv":
            argv = self.argv_of(args[0] if args else None)
        elif style == "list":
            argv = self.argv_from(args[:1]) + self.argv_of(args[1] if len(args) > 1 else None)[1:]
        else:
            argv = self.argv_from(args[:1]) + self.argv_from(args[2:])
        self.check_argv(node, argv, True, func)
