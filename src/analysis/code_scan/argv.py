"""Whether an argv list starts a shell or interpreter that will run code from a string."""

from __future__ import annotations

import re

from self_improving_agent.analysis.code_scan.rules import (
    CODE_FLAGS,
    INTERPRETER_VALUES,
    INTERPRETERS,
    SHELLS,
    WRAPPERS,
)
from self_improving_agent.analysis.code_scan.values import UNKNOWN_STR, Values

# One argv element: its possible values, or None when it may be any number of unknown words.
Element = Values | None
_VERSION = re.compile(r"[\d.]+$")
_SHELL_CLUSTER = re.compile(r"^-[a-zA-Z]*c[a-zA-Z]*$")
# Interpreter options whose value is the next word (so it is not the script).
VALUE_FLAGS = frozenset({"-W", "-X", "-o", "-O", "--check-hash-based-pycs", "-I", "-C"})


def program_kind(values: Values) -> str | None:
    """'shell', 'interpreter', 'wrapper' or None for the program an element may name."""
    kinds = set()
    for value in values:
        if value in INTERPRETER_VALUES:
            kinds.add("interpreter")
        if not value.startswith("'") or value == UNKNOWN_STR:
            continue
        base = value[1:].replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".exe")
        base = _VERSION.sub("", base)
        if base in SHELLS:
            kinds.add("shell")
        elif base in INTERPRETERS:
            kinds.add("interpreter")
        elif base in WRAPPERS:
            kinds.add("wrapper")
    for kind in ("shell", "interpreter", "wrapper"):
        if kind in kinds:
            return kind
    return None


def _words(element: Element) -> list[str] | None:
    """The known strings of an element, or None when it may be anything."""
    if element is None:
        return None
    words = [v[1:] for v in element if v.startswith("'") and v != UNKNOWN_STR]
    return words if words and len(words) == len(element) else None


def argv_problem(argv: list[Element], feeds_stdin: bool, program_required: bool) -> str | None:
    """Why this argv runs code from a string (or can't be seen), or None when it does not."""
    first = argv[0] if argv else None
    if program_required and (first is None or (_words(first) is None and not program_kind(first))):
        return "the program can't be seen"
    for index, element in enumerate(argv):
        kind = program_kind(element) if element is not None else None
        if kind in ("shell", "interpreter"):
            problem = _code_after(argv[index + 1 :], kind, feeds_stdin)
            if problem:
                return problem
    return None


def _code_after(rest: list[Element], kind: str | None, feeds_stdin: bool) -> str | None:
    """Whether the words after a shell/interpreter make it run code from a string."""
    skip = False
    for element in rest:
        words = _words(element)
        # One unseen word after an interpreter is its script; unseen words to a shell may be -c.
        if element is not None and words is None and kind == "interpreter":
            return None
        if words is None:
            return f"a {kind} is started with arguments that can't be seen"
        if skip:
            skip = False
            continue
        for word in words:
            if word in CODE_FLAGS or (kind == "shell" and _SHELL_CLUSTER.match(word)):
                return f"a {kind} is started with {word!r}, which runs code from a string"
        if "-m" in words:
            return None
        if any(w in VALUE_FLAGS for w in words):
            skip = True
        elif any(not w.startswith("-") for w in words):
            return None
    if feeds_stdin:
        return f"a {kind} is fed its program on stdin"
    return None
