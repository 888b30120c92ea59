"""String folding that needs no store: concatenation pairs, slices and decoded spellings."""

from __future__ import annotations

import ast
import base64
import binascii
import codecs
import re
import string
from collections.abc import Callable

from self_improving_agent.analysis.code_scan.values import (
    UNKNOWN_STR,
    Values,
    canonical,
    is_dotted,
    strings,
)

# A str.format field: the argument (index or name), then its attribute and item accesses.
FIELD = re.compile(r"([^.\[]*)(.*)", re.S)
ATTRS = re.compile(r"\.([A-Za-z_]\w*)")


def pairs(left: list[str], right: list[str]) -> Values:
    """Every concatenation of a left and a right string."""
    return frozenset(f"'{a}{b}" for a in left for b in right)


def slice_text(text: str, piece: ast.Slice) -> Values:
    """'lave'[::-1] and friends with constant bounds."""
    bounds: list[int | None] = []
    for part in (piece.lower, piece.upper, piece.step):
        if part is None:
            bounds.append(None)
        elif isinstance(part, ast.Constant) and isinstance(part.value, int):
            bounds.append(part.value)
        elif (
            isinstance(part, ast.UnaryOp)
            and isinstance(part.op, ast.USub)
            and isinstance(part.operand, ast.Constant)
            and isinstance(part.operand.value, int)
        ):
            bounds.append(-part.operand.value)
        else:
            return frozenset({UNKNOWN_STR})
    try:
        return frozenset({f"'{text[slice(*bounds)]}"})
    except ValueError:
        return frozenset({UNKNOWN_STR})


def decode(func: str, data: Values, codec: Values) -> Values:
    """rot13, base64 and hex spellings of a constant."""
    texts, codecs_named = strings(data), strings(codec) or ["utf-8"]
    if texts is None:
        return frozenset({UNKNOWN_STR})
    found: set[str] = set()
    for text in texts:
        try:
            if func == "codecs.decode":
                rot = {c.replace("-", "_").lower() for c in codecs_named} <= {"rot13", "rot_13"}
                found.add(f"'{codecs.decode(text, 'rot13')}" if rot else UNKNOWN_STR)
            elif func == "base64.b64decode":
                found.add("'" + base64.b64decode(text).decode("latin-1"))
            else:
                found.add("'" + bytes.fromhex(text).decode("latin-1"))
        except (LookupError, ValueError, TypeError, binascii.Error):
            found.add(UNKNOWN_STR)
    return frozenset(found)


def format_reads(node: ast.Call, text: str, resolve: Callable[[ast.expr], Values]) -> Values:
    """Attributes str.format reads from its arguments ('{0.environ}'.format(os))."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(text) if f]
    except ValueError:
        return frozenset()
    found: set[str] = set()
    for index, field in enumerate(fields):
        match = FIELD.match(field)
        if match is None or not match.group(2):
            continue
        first, attrs = match.group(1), ATTRS.findall(match.group(2))
        if first.isdigit() or not first:
            position = int(first) if first else index
            arg = node.args[position] if position < len(node.args) else None
        else:
            arg = next((k.value for k in node.keywords if k.arg == first), None)
        if arg is None or isinstance(arg, ast.Starred) or not attrs:
            continue
        for base in resolve(arg):
            if is_dotted(base):
                found.add(canonical(".".join([base, *attrs])))
    return frozenset(found)
