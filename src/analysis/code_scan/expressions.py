"""Strings that are safe to evaluate: a literal or name (eval), a plain type (annotations)."""

from __future__ import annotations

import ast

SAFE_EVAL_NODES = (
    ast.Expression,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.Tuple,
    ast.List,
    ast.Set,
    ast.Dict,
    ast.UnaryOp,
    ast.BinOp,
    ast.BoolOp,
    ast.Compare,
    ast.operator,
    ast.unaryop,
    ast.boolop,
    ast.cmpop,
)
TYPE_NODES = (
    ast.Expression,
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Tuple,
    ast.List,
    ast.Constant,
    ast.BinOp,
    ast.BitOr,
    ast.Load,
)


def _simple_expression(text: str, allowed: tuple[type, ...]) -> bool:
    """Whether text parses as an expression made only of the allowed node types."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return all(isinstance(node, allowed) for node in ast.walk(tree))


def constant_expression(text: str) -> bool:
    """eval('__IPYTHON__')-style text: literals, names and operators only."""
    return _simple_expression(text, SAFE_EVAL_NODES)


def plain_type(text: str) -> bool:
    """A string annotation get_type_hints may evaluate: names, attributes, subscripts, `|`."""
    return _simple_expression(text, TYPE_NODES)
