"""The copy of a candidate that main's checks measure: main's tool settings and tests, no new
suppressions."""

from __future__ import annotations

import io
import posixpath
import re
import tokenize

from self_improving_agent.gates.anti_gaming import SUPPRESSION_NAMES, SUPPRESSION_RE
from self_improving_agent.gates.vet.judge import TOOL_CONFIG_NAMES
from self_improving_agent.gates.vet.tests_changed import is_test_file
from self_improving_agent.git_ops.changeset import ChangeSet

_DECORATOR = re.compile(r"^\s*@\s*(typing\.)?(" + "|".join(SUPPRESSION_NAMES) + r")\b")


def main_checks_files(changes: ChangeSet) -> dict[str, bytes | None]:
    """Path -> bytes to write over the candidate's copy (None: delete) before tools measure it."""
    out: dict[str, bytes | None] = {}
    for fc in changes.files:
        base = posixpath.basename(fc.path.casefold())
        old_base = posixpath.basename((fc.old_path or fc.path).casefold())
        if base in TOOL_CONFIG_NAMES or is_test_file(fc.path):
            out[fc.path] = fc.before if fc.old_path in (None, fc.path) else None
        if (
            fc.old_path
            and fc.old_path != fc.path
            and (old_base in TOOL_CONFIG_NAMES or is_test_file(fc.old_path))
        ):
            out[fc.old_path] = fc.before
        if fc.path in out or fc.after is None or not fc.path.endswith((".py", ".pyi")):
            continue
        stripped = strip_added_suppressions(fc.before, fc.after)
        if stripped != fc.after:
            out[fc.path] = stripped
    return out


def strip_added_suppressions(before: bytes | None, after: bytes) -> bytes:
    """after with the suppression comments and decorators that before did not have removed."""
    try:
        text = after.decode("utf-8")
        old_lines = set((before or b"").decode("utf-8", "replace").splitlines())
    except UnicodeDecodeError:
        return after
    lines = text.splitlines(keepends=True)
    cuts: dict[int, int] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT and SUPPRESSION_RE.search(tok.string):
                cuts[tok.start[0] - 1] = tok.start[1]
    except (tokenize.TokenError, SyntaxError):
        return after
    out = []
    for index, line in enumerate(lines):
        if line.rstrip("\r\n") in old_lines:
            out.append(line)
        elif _DECORATOR.match(line):
            out.append("\n")
        elif index in cuts:
            ending = line[len(line.rstrip("\r\n")) :]
            out.append(line[: cuts[index]].rstrip() + ending)
        else:
            out.append(line)
    return "".join(out).encode("utf-8")
