"""Bindings of a module (assignments, imports, parameters, returns) solved to a fixed point."""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator

from self_improving_agent.analysis.code_scan.resolve import Resolver
from self_improving_agent.analysis.code_scan.rules import star_names
from self_improving_agent.analysis.code_scan.store import AnyKey
from self_improving_agent.analysis.code_scan.values import EMPTY, Values, canonical, cap

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
CONTAINER_ADDERS = frozenset({"append", "insert", "add", "setdefault", "__setitem__"})
CONTAINER_EXTENDERS = frozenset({"extend", "update"})
MAX_SAME_NAME = 4
BINDING_TYPES = frozenset(
    {ast.Assign, ast.AnnAssign, ast.NamedExpr, ast.AugAssign, ast.For, ast.AsyncFor}
    | {ast.comprehension, ast.withitem, ast.Import, ast.ImportFrom, ast.FunctionDef}
    | {ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.Return, ast.Yield, ast.YieldFrom}
    | {ast.Call}
)


class Flow(Resolver):
    """Values of every binding, propagated over assignments until nothing changes."""

    def __init__(
        self, tree: ast.Module, package: str = "", roots: frozenset[str] = frozenset()
    ) -> None:
        """Collect bindings and solve them with a worklist (each binding grows a bounded time)."""
        super().__init__(tree, package, roots)
        self.funcs: dict[str, list[FunctionNode]] = {}
        self.bindings: list[tuple[AnyKey, ast.AST, str]] = []
        nodes = self.scopes.nodes
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.funcs.setdefault(node.name, []).append(node)
        for node in nodes:
            if type(node) in BINDING_TYPES:
                self._bindings_of(node)
        self._solve()
        # The bindings are solved: from here on an expression always has the same values.
        self.memo = {}

    def _target_keys(self, target: ast.expr) -> Iterator[tuple[AnyKey, str]]:
        """Keys a store target writes and how ('=' whole value, 'elt' one element, '+' into)."""
        if isinstance(target, ast.Name):
            scope = self.scopes.name_scope.get(id(target), self.scopes.module)
            name_key = self.scopes.key(target.id, scope)
            if name_key is not None:
                yield name_key, "="
            if self.scopes.kind.get(scope) == "class":
                yield ("attr", target.id), "="
        elif isinstance(target, ast.Attribute):
            yield ("attr", target.attr), "="
        elif isinstance(target, ast.Subscript):
            for key, _ in self._target_keys(target.value):
                yield key, "+"
        elif isinstance(target, ast.Starred):
            yield from self._target_keys(target.value)
        elif isinstance(target, ast.Tuple | ast.List):
            for elt in target.elts:
                for key, _ in self._target_keys(elt):
                    yield key, "elt"

    def _assign(self, target: ast.expr, value: ast.AST, how: str = "=") -> None:
        """Bind target to value, pairing literal tuples element by element."""
        if (
            isinstance(target, ast.Tuple | ast.List)
            and isinstance(value, ast.Tuple | ast.List)
            and len(target.elts) == len(value.elts)
        ):
            for sub_target, sub_value in zip(target.elts, value.elts, strict=True):
                self._assign(sub_target, sub_value, how)
            return
        for key, mode in self._target_keys(target):
            self.bindings.append((key, value, "elt" if mode == "elt" else how))

    def _bindings_of(self, node: ast.AST) -> None:
        """Every binding one node makes."""
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self._assign(target, node.value)
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
            self._assign(node.target, node.value)
        elif isinstance(node, ast.AugAssign):
            self._assign(node.target, node, "+")
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            rows = node.iter.elts if isinstance(node.iter, ast.List | ast.Tuple | ast.Set) else []
            if isinstance(node.target, ast.Tuple | ast.List) and rows:
                # `for a, b in [(x, y), ...]`: each name holds its column of a literal table.
                for row in rows:
                    self._assign(node.target, row, "+")
            self._assign(node.target, node.iter, "elt")
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            self._assign(node.optional_vars, node.context_expr)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            self._import(node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            scope = self.scopes.node_scope.get(id(node), self.scopes.module)
            key = self.scopes.key(node.name, scope)
            if key is not None:
                self.bindings.append((key, node, f"value:<local>.{node.name}"))
            if not isinstance(node, ast.ClassDef):
                self._defaults(node)
        elif isinstance(node, ast.Lambda):
            self._defaults(node)
            self.bindings.append(((f"<lambda>{id(node)}", "ret"), node.body, "+"))
        elif isinstance(node, ast.Return | ast.Yield | ast.YieldFrom) and node.value is not None:
            scope = self.scopes.node_scope.get(id(node), self.scopes.module)
            name = self.scopes.funcs.get(scope, "<module>")
            self.bindings.append((("ret", name), node.value, "+"))
        if isinstance(node, ast.Call):
            self._call_bindings(node)

    def _defaults(self, node: FunctionNode) -> None:
        """Parameters hold their defaults."""
        args = node.args
        positional = args.posonlyargs + args.args
        pairs: list[tuple[ast.arg, ast.expr]] = list(
            zip(positional[::-1], args.defaults[::-1], strict=False)
        )
        pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d]
        for arg, default in pairs:
            self.bindings.append(((id(node), arg.arg), default, "+"))

    def _call_bindings(self, node: ast.Call) -> None:
        """Container mutation, and arguments flowing into local functions' parameters."""
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in CONTAINER_ADDERS | CONTAINER_EXTENDERS:
            how = "elts" if func.attr in CONTAINER_EXTENDERS else "+"
            for value in [*node.args[-1:], *(k.value for k in node.keywords)]:
                for key, _ in self._target_keys(func.value):
                    self.bindings.append((key, value, how))
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        targets = self.funcs.get(name, [])
        # A method name shared by several definitions can't say which one runs; binding all of
        # them to every call would grow with calls x definitions.
        if len(targets) > 1 and isinstance(func, ast.Attribute):
            return
        for target in targets[:MAX_SAME_NAME]:
            params = target.args.posonlyargs + target.args.args
            offset = 1 if isinstance(func, ast.Attribute) and params else 0
            for index, arg in enumerate(node.args):
                if index + offset < len(params) and not isinstance(arg, ast.Starred):
                    self.bindings.append(((id(target), params[index + offset].arg), arg, "+"))
            by_name = {p.arg for p in params + target.args.kwonlyargs}
            for keyword in node.keywords:
                if keyword.arg in by_name:
                    self.bindings.append(((id(target), keyword.arg), keyword.value, "+"))

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        """Imports bind names to dotted module paths."""
        scope = self.scopes.node_scope.get(id(node), self.scopes.module)
        if isinstance(node, ast.Import):
            for alias in node.names:
                head = alias.name.partition(".")[0]
                value = alias.name if alias.asname else head
                self._bind_const(alias.asname or head, scope, node, canonical(value))
            return
        module = self.absolute(node.module or "", node.level)
        for alias in node.names:
            if alias.name != "*":
                value = canonical(f"{module}.{alias.name}")
                self._bind_const(alias.asname or alias.name, scope, node, value)
                continue
            for name in star_names(canonical(module)):
                head = name.partition(".")[0]
                self._bind_const(head, scope, node, canonical(f"{module}.{head}"))

    def absolute(self, module: str, level: int) -> str:
        """A relative import's module as an absolute dotted name (as far as the path tells)."""
        if not level:
            return module
        parts = self.package.split(".") if self.package else []
        base = parts[: max(len(parts) - (level - 1), 0)]
        return ".".join([*base, module] if module else base) or "<relative>"

    def _bind_const(self, name: str, scope: int, node: ast.AST, value: str) -> None:
        """Bind a name to one known value."""
        key = self.scopes.key(name, scope)
        if key is not None:
            self.bindings.append((key, node, f"value:{value}"))

    def _solve(self) -> None:
        """Worklist over bindings; a binding is re-evaluated only when something it read grew."""
        readers: dict[AnyKey, list[int]] = {}
        queue = deque(range(len(self.bindings)))
        queued = set(queue)
        while queue:
            index = queue.popleft()
            queued.discard(index)
            key, value, how = self.bindings[index]
            self._reads = set()
            self.dirty.clear()
            new = self._binding_value(value, how)
            changed: list[AnyKey] = [("<seq>", str(n)) for n in self.dirty]
            for read in self._reads:
                listeners = readers.setdefault(read, [])
                if not listeners or listeners[-1] != index:
                    listeners.append(index)
            self._reads = None
            if isinstance(key[0], str):
                new = self._shared(new)
            old = self.env.get(key, EMPTY)
            grown = cap(old | new, self.roots)
            if grown != old:
                self.env[key] = grown
                changed_keys: list[AnyKey] = [*changed, key]
            else:
                changed_keys = list(changed)
            for changed_key in changed_keys:
                for reader in readers.get(changed_key, []):
                    if reader not in queued:
                        queued.add(reader)
                        queue.append(reader)

    def _shared(self, values: Values) -> Values:
        """What an attribute or return binding keeps: names and markers, containers opened.

        These keys are shared by every object with that attribute name, so strings and
        containers (different in every class) would make them grow with the file's size."""
        kept = {v for v in values if not v.startswith(("'", "<seq>"))}
        kept |= {v for v in self.elements(values) if not v.startswith(("'", "<seq>"))}
        return frozenset(kept)

    def _binding_value(self, value: ast.AST, how: str) -> Values:
        """The values one binding adds to its key."""
        if how.startswith("value:"):
            return frozenset({how[6:]})
        if isinstance(value, ast.AugAssign):
            return self.concat(value, self.resolve(value.target), self.resolve(value.value))
        if not isinstance(value, ast.expr):
            return EMPTY
        values = self.resolve(value)
        if how == "elt":
            return self.elements(values)
        if how == "elts":
            return self.elements(values) | values
        return values
