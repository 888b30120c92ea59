"""Benchmark-integrity checks between two runs: lost tests; suppression comments counted."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Mapping

LOST_TEST = "anti-gaming/lost-test"

SUPPRESSION_RE = re.compile(
    r"\bnoqa\b|\btype:\s*ignore\b|\bpragma:?\s*no\s*(branch|cover)\b|\bmypy:|\bpyright:\s*ignore"
    r"|\bpylint:\s*disable|\bnosec\b|\bpyre-ignore",
    re.I,
)
# Decorators that switch a checker off for a whole function.
SUPPRESSION_NAMES = frozenset({"no_type_check", "no_type_check_decorator"})
NOW_WORDS = {"failed": "failing", "error": "erroring", "skipped": "skipped"}


def lost_test_ids(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """Sorted ids of tests that passed before and do not pass now."""
    return sorted(
        t for t, outcome in before.items() if outcome == "passed" and after.get(t) != "passed"
    )


def lost_tests(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """Test ids that passed before and are now missing, skipped, failing or erroring."""
    lost = []
    for test_id in lost_test_ids(before, after):
        now = after.get(test_id)
        state = "missing" if now is None else NOW_WORDS.get(now, repr(now))
        lost.append(f"{LOST_TEST}: {test_id} passed before and is {state} now")
    return lost


def read_as_code(path: str, content: str) -> bool:
    """Whether the checkers read this file as code: Python source, a stub, a notebook, or a
    script whose first line runs Python (prose such as Markdown is never read for comments)."""
    if path.casefold().endswith((".py", ".pyi", ".pyw", ".ipynb")):
        return True
    first = content.lstrip("\ufeff").partition("\n")[0]
    return first.startswith("#!") and "python" in first


def count_suppressions(path: str, content: str) -> int:
    """Suppression comments in one file the checkers read as code; strings don't count in
    Python that tokenizes."""
    if not read_as_code(path, content):
        return 0
    if path.endswith((".py", ".pyi")):
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(content).readline))
        except (tokenize.TokenError, SyntaxError):
            pass
        else:
            comments = (tok.string for tok in tokens if tok.type == tokenize.COMMENT)
            names = sum(t.type == tokenize.NAME and t.string in SUPPRESSION_NAMES for t in tokens)
            return names + sum(len(SUPPRESSION_RE.findall(comment)) for comment in comments)
    # A notebook, a script, or broken Python: count every '#' tail, erring towards more.
    tails = (line.partition("#")[2] for line in content.splitlines() if "#" in line)
    return sum(len(SUPPRESSION_RE.findall(tail)) for tail in tails)
