"""The rules applied to every node of one module, over the values the flow found."""

from __future__ import annotations

import ast

from self_improving_agent.analysis.code_scan.expressions import constant_expression, plain_type
from self_improving_agent.analysis.code_scan.finding import CodeFinding
from self_improving_agent.analysis.code_scan.flow import Flow
from self_improving_agent.analysis.code_scan.rules import (
    BUILTINS_BY_STRING,
    CALL_ONLY,
    CHECKED_IMPORTERS,
    CODE_ATTRIBUTES,
    CODE_SWAP,
    DANGEROUS_METHODS,
    DYNAMIC_ATTRIBUTE,
    DYNAMIC_IMPORT,
    ESCAPE_ATTRIBUTES,
    EVAL_EXEC,
    EXEC_SPAWNS,
    INTROSPECTION,
    PICKLE_MARSHAL,
    RAW_SPAWNS,
    SAFE_LOADERS,
    STRING_ANNOTATION,
    SUBPROCESS_CALLS,
    SUBPROCESS_SHELL,
    dangerous_rule,
    sensitive,
)
from self_improving_agent.analysis.code_scan.spawns import SpawnChecks, falsy_literal, keyword_value
from self_improving_agent.analysis.code_scan.values import Values, is_dotted

FACTORY_KEYS = frozenset({"()", "class", "."})
CHECKED_TYPES = frozenset({ast.ImportFrom, ast.Call, ast.Dict, ast.Attribute, ast.Subscript})
CHECKED_TYPES |= {ast.Name, ast.Constant}
ANNOTATED_TYPES = frozenset({ast.arg, ast.AnnAssign, ast.FunctionDef, ast.AsyncFunctionDef})
SETATTR_NAMES = frozenset({"setattr", "__setattr__"})
SETATTR_FUNCS = frozenset({"builtins.setattr", "builtins.object.__setattr__"})


def _literal_true(node: ast.expr) -> bool:
    """Whether node is the literal True."""
    return isinstance(node, ast.Constant) and node.value is True


class Checker:
    """Applies every rule to every node once."""

    def __init__(
        self, tree: ast.Module, package: str = "", roots: frozenset[str] = frozenset()
    ) -> None:
        """Solve the module's values (extra roots tracked too), then index parents."""
        self.tree = tree
        self.flow = Flow(tree, package, roots)
        self.parents = self.flow.scopes.parents
        self.nodes = self.flow.scopes.nodes
        self.findings: dict[tuple[str, int, int], CodeFinding] = {}
        self.spawns = SpawnChecks(self.flow, self.add)
        self.annotations: set[int] = set()
        for node in self.nodes:
            if type(node) in ANNOTATED_TYPES:
                for annotation in self._annotations_of(node):
                    self.annotations.add(id(annotation))

    @staticmethod
    def _annotations_of(node: ast.AST) -> list[ast.expr]:
        """The annotation expressions a node carries."""
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            return [node.annotation]
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            return [node.returns]
        return []

    def add(self, rule: str, node: ast.AST, message: str) -> None:
        """Record a finding once per rule and position."""
        line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
        self.findings.setdefault(
            (rule, line, col), CodeFinding(rule=rule, message=message, line=line, col=col)
        )

    def scan(self) -> list[CodeFinding]:
        """Every finding, in source order."""
        annotations = self.annotations
        for node in self.nodes:
            kind = type(node)
            if kind not in CHECKED_TYPES:
                continue
            # A constant or a stored name matters only as (part of) an annotation.
            if (
                kind is ast.Constant
                or (kind is ast.Name and type(getattr(node, "ctx", None)) is not ast.Load)
            ) and (id(node) not in annotations):
                continue
            self._check(node)
        return sorted(self.findings.values(), key=lambda f: (f.line, f.col, f.rule))

    def _check(self, node: ast.AST) -> None:
        """The rules for one node."""
        if type(node) is ast.Name and id(node) not in self.annotations:
            self._check_reference(node)
            return
        if isinstance(node, ast.ImportFrom):
            self._check_import_from(node)
        elif isinstance(node, ast.Call):
            self._check_call(node)
            self._check_computed(node, self.flow.resolve(node))
        elif isinstance(node, ast.Dict):
            self._check_factories(node)
        if id(node) in self.annotations:
            self._check_annotation(node)
        if isinstance(node, ast.Attribute | ast.Subscript | ast.Name):
            if isinstance(node.ctx, ast.Load):
                self._check_reference(node)
            elif isinstance(node, ast.Attribute) and node.attr in CODE_ATTRIBUTES:
                self.add(CODE_SWAP, node, f"assigning .{node.attr} replaces a function's code")
        if isinstance(node, ast.Attribute) and node.attr in ESCAPE_ATTRIBUTES:
            self.add(INTROSPECTION, node, f"`.{node.attr}` reaches past the module's namespace")

    def is_func(self, node: ast.AST) -> bool:
        """Whether node is the callee of its parent call."""
        parent = self.parents.get(id(node))
        return isinstance(parent, ast.Call) and parent.func is node

    def _check_import_from(self, node: ast.ImportFrom) -> None:
        """`from pickle import loads` references loads."""
        module = self.flow.absolute(node.module or "", node.level)
        for alias in node.names:
            name = f"{module}.{alias.name}"
            rule = dangerous_rule(name) if name not in CALL_ONLY else None
            if rule:
                self.add(rule, node, f"{module}.{alias.name} may not be used")

    def _check_reference(self, node: ast.expr) -> None:
        """Dangerous names anywhere but a call's callee; computed lookups on sensitive bases."""
        if isinstance(node, ast.Attribute) and node.attr in DANGEROUS_METHODS:
            self.add(DANGEROUS_METHODS[node.attr], node, f".{node.attr} may not be used")
        values = self.flow.resolve(node)
        if not values:
            return
        self._check_computed(node, values)
        if self.is_func(node):
            return
        for value in values:
            rule = dangerous_rule(value) if is_dotted(value) and value not in CALL_ONLY else None
            if rule:
                self.add(rule, node, f"{value} may not be used")
            elif value in SUBPROCESS_CALLS or value in RAW_SPAWNS or value in EXEC_SPAWNS:
                self._check_stored_spawn(node, value)
            elif value in CHECKED_IMPORTERS:
                self._check_stored_importer(node, value)

    def _check_computed(self, node: ast.expr, values: Values) -> None:
        """A lookup by computed name on builtins, a sensitive module or a namespace."""
        for value in values:
            if not value.startswith("<computed>"):
                continue
            base = value[10:]
            label = base.removeprefix("<ns>")
            if label == "builtins":
                self.add(BUILTINS_BY_STRING, node, "builtins may not be looked up by string")
            elif base in CHECKED_IMPORTERS or base == "builtins.__import__":
                self.add(DYNAMIC_IMPORT, node, f"{base} needs a literal module name")
            elif base.startswith("<ns>") and label in (".", "?"):
                self.add(DYNAMIC_ATTRIBUTE, node, "a namespace may not be indexed by computed key")
            elif base == "sys.modules" or sensitive(label):
                self.add(DYNAMIC_ATTRIBUTE, node, f"{label} may not be looked up by computed name")

    def _check_stored_spawn(self, node: ast.expr, name: str) -> None:
        """A spawn function stored or passed where its arguments can't be checked."""
        parent = self.parents.get(id(node))
        if id(node) in self.annotations or (
            isinstance(parent, ast.Subscript) and parent.value is node
        ):
            return
        if isinstance(parent, ast.Call):
            if self.spawns.shell_unsafe(parent, positional=False):
                self.add(SUBPROCESS_SHELL, parent, f"{name} with a shell may not be used")
        elif not self.is_alias_value(node):
            self.add(SUBPROCESS_SHELL, node, f"{name} is stored where its arguments can't be seen")

    def _check_stored_importer(self, node: ast.expr, name: str) -> None:
        """import_module passed along where its argument can't be checked."""
        if not self.is_alias_value(node):
            self.add(DYNAMIC_IMPORT, node, f"{name} is passed where its argument can't be checked")

    def is_alias_value(self, node: ast.expr) -> bool:
        """Whether node is the whole value of a plain `name = node` binding (followed as alias)."""
        parent = self.parents.get(id(node))
        if parent is None or isinstance(self.parents.get(id(parent)), ast.ClassDef):
            return False
        if isinstance(parent, ast.Assign | ast.AnnAssign | ast.NamedExpr):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            return parent.value is node and all(isinstance(t, ast.Name) for t in targets)
        return False

    # ---- calls ----------------------------------------------------------------------------
    def _callees(self, node: ast.Call) -> set[str]:
        """What the call may invoke, methodcaller results included."""
        found = set(self.flow.resolve(node.func))
        for value in list(found):
            if value.startswith("<caller>") and node.args:
                for base in self.flow.resolve(node.args[0]):
                    if is_dotted(base):
                        found.add(f"{base}.{value[8:]}")
        return found

    def _check_call(self, node: ast.Call) -> None:
        """Dangerous callees, spawns with their argv, and the conditional deserialisers."""
        for func in self._callees(node):
            if not is_dotted(func):
                continue
            rule = dangerous_rule(func)
            if rule == EVAL_EXEC and func == "builtins.eval" and self._constant_eval(node):
                continue
            if rule:
                self.add(rule, node, f"{func} may not be used")
            elif func in SUBPROCESS_CALLS:
                self.spawns.check_subprocess(node, func)
            elif func in RAW_SPAWNS or func in EXEC_SPAWNS:
                self.spawns.check_raw_spawn(node, func)
            elif func.startswith("timeit."):
                self._check_timeit(node, func)
            else:
                self._check_conditional(node, func)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "subprocess_exec":
            self.spawns.check_argv(
                node, self.spawns.argv_from(node.args[1:]), False, "loop.subprocess_exec"
            )
        by_name = isinstance(node.func, ast.Attribute) and node.func.attr in SETATTR_NAMES
        if by_name or self.flow.resolve(node.func) & SETATTR_FUNCS:
            self._check_setattr(node)

    def _constant_eval(self, node: ast.Call) -> bool:
        """eval('__IPYTHON__')-style constants: a literal string that is a name or a literal."""
        if len(node.args) != 1 or node.keywords:
            return False
        texts = self.flow.fold(node.args[0])
        return bool(texts) and all(constant_expression(t) for t in texts or [])

    def _check_setattr(self, node: ast.Call) -> None:
        """setattr(f, '__code__', ...) swaps a function's code."""
        if len(node.args) >= 2:
            names = self.flow.fold(node.args[1]) or []
            if any(name in CODE_ATTRIBUTES for name in names):
                self.add(CODE_SWAP, node, "setting __code__ replaces a function's code")

    def _check_timeit(self, node: ast.Call, func: str) -> None:
        """timeit runs its stmt and setup strings as code."""
        if func not in ("timeit.timeit", "timeit.repeat", "timeit.Timer", "timeit.main"):
            return
        code = list(node.args[:2]) + [k.value for k in node.keywords if k.arg in ("stmt", "setup")]
        for arg in code:
            values = self.flow.resolve(arg)
            if any(v.startswith("'") for v in values) or func == "timeit.main":
                self.add(EVAL_EXEC, node, f"{func} runs a string as code")
                return

    def _check_conditional(self, node: ast.Call, func: str) -> None:
        """numpy.load(allow_pickle=True), torch.load without weights_only, yaml.load unsafe."""
        if func == "numpy.load":
            flag = keyword_value(node, "allow_pickle")
            if (flag is not None and not falsy_literal(flag)) or any(
                k.arg is None for k in node.keywords
            ):
                self.add(PICKLE_MARSHAL, node, "numpy.load with allow_pickle unpickles data")
        elif func == "torch.load":
            flag = keyword_value(node, "weights_only")
            if flag is None or not _literal_true(flag):
                self.add(PICKLE_MARSHAL, node, "torch.load without weights_only=True unpickles")
        elif func in ("yaml.load", "yaml.load_all"):
            loader = keyword_value(node, "Loader") or (node.args[1] if len(node.args) > 1 else None)
            if (
                loader is None
                or not self.flow.resolve(loader) <= SAFE_LOADERS
                or not (self.flow.resolve(loader))
            ):
                self.add(PICKLE_MARSHAL, node, f"{func} without a safe Loader builds any object")
        elif func == "typing.ForwardRef" and node.args:
            texts = self.flow.fold(node.args[0]) or []
            if not all(plain_type(t) for t in texts):
                self.add(STRING_ANNOTATION, node, "ForwardRef needs a plain type expression")

    # ---- literals -------------------------------------------------------------------------
    def _check_factories(self, node: ast.Dict) -> None:
        """logging.config's "()" and "class" keys import and call the dotted name they give."""
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None or self.flow.fold(key) is None:
                continue
            if not set(self.flow.fold(key) or []) & FACTORY_KEYS:
                continue
            for text in self.flow.fold(value) or []:
                rule = dangerous_rule(text.replace(":", ".").strip())
                if rule:
                    self.add(rule, value, f"{text} is named as a factory and may not be used")

    def _check_annotation(self, node: ast.AST) -> None:
        """String annotations must be plain type expressions (get_type_hints evaluates them)."""
        stack = [node]
        while stack:
            sub = stack.pop()
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                if not plain_type(sub.value):
                    self.add(STRING_ANNOTATION, sub, "a string annotation must be a plain type")
            elif isinstance(sub, ast.Subscript):
                name = sub.value.attr if isinstance(sub.value, ast.Attribute) else ""
                name = sub.value.id if isinstance(sub.value, ast.Name) else name
                if name == "Literal":
                    continue
                stack.append(sub.value)
                inner = sub.slice
                if name == "Annotated" and isinstance(inner, ast.Tuple) and inner.elts:
                    inner = inner.elts[0]
                stack.append(inner)
            else:
                stack.extend(ast.iter_child_nodes(sub))
