"""Writes from one module into protected modules: their names, constants, functions, classes."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from self_improving_agent.analysis.code_scan.finding import CodeFinding
from self_improving_agent.analysis.code_scan.flow import Flow
from self_improving_agent.gates.trust import ENV_OVERRIDE, FOR_PEOPLE, PROTECTED_WRITE

# Methods of a namespace dict (vars(mod), mod.__dict__, globals()) that change it.
NAMESPACE_WRITERS = frozenset({"update", "__setitem__", "setdefault", "pop", "__delitem__"})
NAMESPACE_WRITERS |= {"clear", "popitem"}
# Methods that change a list, dict, set or object in place.
MUTATORS = NAMESPACE_WRITERS | {"append", "extend", "insert", "remove", "sort", "reverse"}
MUTATORS |= {"add", "discard", "difference_update", "intersection_update"}
MUTATORS |= {"symmetric_difference_update", "__setattr__", "__delattr__", "__iadd__", "__ior__"}
# Functions that change their first argument.
FIRST_ARG_WRITERS = frozenset({"builtins.setattr", "builtins.delattr", "operator.setitem"})
FIRST_ARG_WRITERS |= {"operator.delitem", "operator.iadd", "operator.ior", "operator.iconcat"}
FIRST_ARG_WRITERS |= {"builtins.object.__setattr__", "builtins.object.__delattr__"}
FIRST_ARG_WRITERS |= {"builtins.type.__setattr__", "builtins.type.__delattr__"}
UNBOUND_OWNERS = ("builtins.dict.", "builtins.list.", "builtins.set.", "builtins.object.")
ENV_WRITERS = frozenset({"setdefault", "update", "__setitem__", "putenv"})


class _WriteScan:
    """Writes into protected modules from one other module."""

    def __init__(self, tree: ast.Module, package: str, modules: Sequence[str]) -> None:
        """Solve the module's values, tracking the protected modules' roots."""
        self.modules = tuple(modules)
        roots = frozenset(m.partition(".")[0] for m in modules)
        self.flow = Flow(tree, package, roots)
        self.findings: list[CodeFinding] = []
        self.imported = self._imported_names()

    def _owner(self, name: str) -> tuple[str, list[str]] | None:
        """The protected module a dotted name is in, and the parts below it (None: outside)."""
        for module in self.modules:
            base = module.removesuffix(".*")
            if name == base or name.startswith(base + "."):
                rest = name[len(base) + 1 :].split(".") if name != base else []
                # In a package, a lower-case name one level down is a module of it.
                if module.endswith(".*") and len(rest) == 1 and rest[0].islower():
                    rest = []
                return base, rest
        return None

    def protected(self, values: frozenset[str], inside: bool = False) -> str | None:
        """A protected module (or, with inside, only a name defined in one) values may hold."""
        for value in values:
            name = value.removeprefix("<ns>")
            # A call's result (an instance) is not the module; its attributes are its own.
            if name.startswith(("<", "'")) or "()" in name:
                continue
            owner = self._owner(name)
            if owner is not None and (owner[1] or not inside):
                return name
        return None

    def under_protected(self, name: str) -> bool:
        """Whether a dotted name is defined in (or is) a protected module."""
        return self._owner(name) is not None

    def add(self, rule: str, node: ast.AST, why: str) -> None:
        """Record a finding at node."""
        line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
        message = f"{why}; {FOR_PEOPLE}"
        self.findings.append(CodeFinding(rule=rule, message=message, line=line, col=col))

    def scan(self) -> list[CodeFinding]:
        """Every trust finding of the module."""
        for node in self.flow.scopes.nodes:
            if isinstance(node, ast.Attribute | ast.Subscript) and not isinstance(
                node.ctx, ast.Load
            ):
                self._check_store(node)
            elif isinstance(node, ast.Call):
                self._check_call(node)
            self._check_rebinding(node)
        return self.findings

    def _check_store(self, node: ast.Attribute | ast.Subscript) -> None:
        """mod.name = ..., mod.CONST[k] = ..., vars(mod)[k] = ..., globals()[imported] = ..."""
        base = self.flow.resolve(node.value)
        target = self.protected(base)
        if target:
            self.add(PROTECTED_WRITE, node, f"writes into {target}, which is protected")
        elif isinstance(node, ast.Subscript) and "sys.modules" in base:
            self.add(PROTECTED_WRITE, node, "replaces a module in sys.modules")
        elif isinstance(node, ast.Subscript) and "<ns>." in base:
            self._check_own_namespace(node, [node.slice])
        elif isinstance(node, ast.Subscript) and "os.environ" in base:
            self._check_env_key(node, [node.slice])

    def _check_call(self, node: ast.Call) -> None:
        """setattr and friends, in-place methods on protected objects, namespace writers."""
        funcs = self.flow.resolve(node.func)
        first = self.flow.resolve(node.args[0]) if node.args else frozenset()
        unbound = any(
            f.startswith(UNBOUND_OWNERS) and f.rpartition(".")[2] in MUTATORS for f in funcs
        )
        if funcs & FIRST_ARG_WRITERS or unbound:
            target = self.protected(first, inside=not funcs & FIRST_ARG_WRITERS)
            if target:
                self.add(PROTECTED_WRITE, node, f"changes {target}, which is protected")
        if funcs & {"os.putenv"}:
            self._check_env_key(node, node.args[:1])
        if not isinstance(node.func, ast.Attribute):
            return
        owner = self.flow.resolve(node.func.value)
        method = node.func.attr
        if method in MUTATORS:
            spaces = frozenset(v for v in owner if v.startswith("<ns>"))
            dunder = method in ("__setattr__", "__delattr__")
            target = self.protected(spaces) if method in NAMESPACE_WRITERS else None
            target = target or self.protected(owner, inside=not dunder)
            if target:
                self.add(PROTECTED_WRITE, node, f"changes {target} in place, which is protected")
            elif "sys.modules" in owner and method in NAMESPACE_WRITERS and method != "pop":
                self.add(PROTECTED_WRITE, node, "replaces modules in sys.modules")
            elif "<ns>." in owner and method in NAMESPACE_WRITERS:
                self._check_own_namespace(node, self._written_keys(node, method))
        if method in ENV_WRITERS and "os.environ" in owner:
            self._check_env_key(node, self._written_keys(node, method))

    @staticmethod
    def _written_keys(node: ast.Call, method: str) -> list[ast.expr]:
        """The keys a dict method call writes: d[k]=, d.setdefault(k), d.update(k=..., {k: ...})."""
        keys = list(node.args[:1]) if method != "update" else []
        keys += [ast.Constant(value=k.arg) for k in node.keywords if k.arg]
        if method == "update" and node.args and isinstance(node.args[0], ast.Dict):
            keys += [k for k in node.args[0].keys if k is not None]
        return keys

    def _check_own_namespace(self, node: ast.AST, keys: Sequence[ast.expr]) -> None:
        """globals()[name] = ... redefines a name imported from a protected module."""
        for key in keys:
            for text in self.flow.fold(key) or []:
                if text in self.imported:
                    why = f"redefines {text}, imported from the protected {self.imported[text]}"
                    self.add(PROTECTED_WRITE, node, why)

    def _check_env_key(self, node: ast.AST, keys: Sequence[ast.expr]) -> None:
        """Setting an AGENT_* variable overrides the agent's config from inside its own code."""
        for key in keys:
            for text in self.flow.fold(key) or []:
                if text.upper().startswith("AGENT_"):
                    self.add(ENV_OVERRIDE, node, f"sets {text}, which overrides the agent's config")

    def _imported_names(self) -> dict[str, str]:
        """Module-level names bound to protected modules or their names -> where from."""
        names: dict[str, str] = {}
        for stmt in self.flow.tree.body:
            if isinstance(stmt, ast.ImportFrom):
                module = self.flow.absolute(stmt.module or "", stmt.level)
                for alias in stmt.names:
                    source = f"{module}.{alias.name}"
                    if self.under_protected(source):
                        names[alias.asname or alias.name] = source
            elif isinstance(stmt, ast.Import):
                # `import a.b.c` binds `a`, shared by every `import a.x`; `as` binds the module.
                for alias in stmt.names:
                    if alias.asname and self.under_protected(alias.name):
                        names[alias.asname] = alias.name
        return names

    def _check_rebinding(self, node: ast.AST) -> None:
        """A second definition of a name imported from a protected module, in the importer."""
        if not self.imported:
            return
        for name, binder in self._module_bindings(node):
            if name in self.imported:
                why = f"redefines {name}, imported from the protected {self.imported[name]}"
                self.add(PROTECTED_WRITE, binder, why)

    def _module_bindings(self, node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
        """Names a node binds at module level (imports of protected names excluded)."""
        scopes = self.flow.scopes
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            scope = scopes.name_scope.get(id(node), scopes.module)
            if scopes.key(node.id, scope) == (scopes.module, node.id):
                yield node.id, node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if scopes.node_scope.get(id(node)) == scopes.module:
                yield node.name, node
        elif isinstance(node, ast.Import | ast.ImportFrom):
            if scopes.node_scope.get(id(node)) != scopes.module:
                return
            module = ""
            if isinstance(node, ast.ImportFrom):
                module = self.flow.absolute(node.module or "", node.level)
            for alias in node.names:
                source = f"{module}.{alias.name}" if module else alias.name
                if not self.under_protected(source):
                    yield alias.asname or alias.name.partition(".")[0], node


def trust_findings(tree: ast.Module, package: str, modules: Sequence[str]) -> list[CodeFinding]:
    """Writes from this module into protected modules, sys.modules or AGENT_* variables."""
    return _WriteScan(tree, package, modules).scan()
