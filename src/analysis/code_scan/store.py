"""The value store the resolver reads and the flow writes: bindings and containers."""

from __future__ import annotations

import ast
import shlex

from self_improving_agent.analysis.code_scan.folding import pairs
from self_improving_agent.analysis.code_scan.values import (
    BUILTIN_NAMES,
    EMPTY,
    UNKNOWN_STR,
    Key,
    Scopes,
    Seq,
    Values,
    cap,
    strings,
)

AnyKey = Key | tuple[str, str]
MODULE_DUNDERS = frozenset({"__name__", "__file__", "__spec__", "__package__", "__doc__"})


class Store:
    """Values per binding key and per container literal, with the reads noted for the solver."""

    def __init__(self, tree: ast.Module, package: str, roots: frozenset[str]) -> None:
        """Empty store over a module's scopes; roots: extra module roots worth tracking."""
        self.tree = tree
        self.roots = roots
        self.package = package
        self.scopes = Scopes(tree)
        self.env: dict[AnyKey, Values] = {}
        self.seqs: list[Seq] = []
        self._seq_of: dict[tuple[int, str], int] = {}
        self._reads: set[AnyKey] | None = None
        self.dirty: set[int] = set()
        self.memo: dict[int, Values] | None = None

    def lookup(self, name: str, node: ast.AST) -> Values:
        """The values a Name load may hold."""
        scope = self.scopes.name_scope.get(id(node), self.scopes.module)
        key = self.scopes.key(name, scope)
        if key is None:
            if name in MODULE_DUNDERS:
                return frozenset({f"'<this module {name}>"})
            if name == "__builtins__":
                return frozenset({"builtins"})
            return frozenset({f"builtins.{name}"}) if name in BUILTIN_NAMES else EMPTY
        return self.read(key)

    def module_name(self, name: str) -> Values:
        """A module-level name, as globals()['name'] sees it."""
        key = self.scopes.key(name, self.scopes.module)
        if key is None:
            return frozenset({"builtins"}) if name == "__builtins__" else EMPTY
        return self.read(key)

    def read(self, key: AnyKey) -> Values:
        """A binding's values, noting the read for the solver."""
        if self._reads is not None:
            self._reads.add(key)
        return self.env.get(key, EMPTY)

    def seq(self, node: ast.AST, items: list[Values], starred: list[bool], tag: str = "") -> str:
        """A container value, one per literal node and tag (stable across re-evaluation)."""
        index = self._seq_of.get((id(node), tag))
        if index is None:
            index = len(self.seqs)
            self._seq_of[(id(node), tag)] = index
            self.seqs.append(Seq([cap(i, self.roots) for i in items], starred))
            return f"<seq>{index}"
        old = self.seqs[index]
        if old.items == items and old.starred == starred:
            return f"<seq>{index}"
        # A container only grows: the same shape merges element by element, else it collapses.
        if old.starred == starred and len(old.items) == len(items):
            pairs = zip(old.items, items, strict=True)
            merged = Seq([cap(a | b, self.roots) for a, b in pairs], starred)
        else:
            merged = Seq([cap(old.union().union(*items), self.roots)], [True])
        if merged.items != old.items or merged.starred != old.starred:
            self.seqs[index] = merged
            self.dirty.add(index)
        return f"<seq>{index}"

    def seq_items(self, value: str) -> Seq:
        """The container a "<seq>N" value stands for, noting the read for the solver."""
        if self._reads is not None:
            self._reads.add(("<seq>", value[5:]))
        return self.seqs[int(value[5:])]

    def elements(self, values: Values) -> Values:
        """What iterating or indexing any of these values may give (names stand for themselves)."""
        found: set[str] = set()
        for value in values:
            if value.startswith("<seq>"):
                found |= self.seq_items(value).union()
            elif not value.startswith("'"):
                found.add(value)
        return frozenset(found)

    def split_command(self, node: ast.AST, text: str) -> str:
        """A command line split the way shlex does, as a container of strings."""
        try:
            words = shlex.split(text)
        except ValueError:
            words = text.split()
        items: list[Values] = [frozenset({f"'{w}"}) for w in words]
        return self.seq(node, items, [False] * len(words), f"split:{text}")

    def concat(self, node: ast.AST, left: Values, right: Values, step: int = 0) -> Values:
        """a + b over strings and containers."""
        found: set[str] = set()
        left_s, right_s = strings(left), strings(right)
        if left_s is not None and right_s is not None and len(left_s) * len(right_s) <= 64:
            found |= pairs(left_s, right_s)
        elif any(v.startswith("'") for v in left | right):
            found.add(UNKNOWN_STR)
        left_q = [self.seq_items(v) for v in left if v.startswith("<seq>")]
        right_q = [self.seq_items(v) for v in right if v.startswith("<seq>")]
        if left_q or right_q:
            both = left_q + right_q
            items = [item for q in both for item in q.items]
            starred = [s for q in both for s in q.starred]
            if not left_q or not right_q or len(left_q) > 1:
                starred = [True] * len(items)
            found.add(self.seq(node, items, starred, f"+{step}"))
        return frozenset(found)
