"""Static scan of Python source for code that runs shells, evaluates strings or loads pickles."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Mapping

from pydantic import BaseModel

SYNTAX = "code/syntax"
OS_SHELL = "code/os-shell"
SUBPROCESS_SHELL = "code/subprocess-shell"
EVAL_EXEC = "code/eval-exec"
DUNDER_IMPORT = "code/dunder-import"
DYNAMIC_IMPORT = "code/dynamic-import"
BUILTINS_BY_STRING = "code/builtins-by-string"
DYNAMIC_ATTRIBUTE = "code/dynamic-attribute"
PICKLE_MARSHAL = "code/pickle-marshal"
INTROSPECTION = "code/introspection"

# Referencing these at all (called, aliased or passed along) is a finding.
DANGEROUS_REFS = {
    "os.system": OS_SHELL,
    "os.popen": OS_SHELL,
    "subprocess.getoutput": SUBPROCESS_SHELL,
    "subprocess.getstatusoutput": SUBPROCESS_SHELL,
    "asyncio.create_subprocess_shell": SUBPROCESS_SHELL,
    "builtins.eval": EVAL_EXEC,
    "builtins.exec": EVAL_EXEC,
    "builtins.compile": EVAL_EXEC,
    "builtins.__import__": DUNDER_IMPORT,
    "importlib.__import__": DUNDER_IMPORT,
}
# Harmless unless given a shell: their calls are checked, other uses must stay checkable.
SHELL_CHECKED = {
    f"subprocess.{name}" for name in ("run", "call", "Popen", "check_output", "check_call")
}
IMPORT_MODULE = "importlib.import_module"
UNSAFE_MODULES = {"pickle", "marshal", "shelve", "dill"}
# Modules whose attributes must never be looked up by a computed name.
SENSITIVE_MODULES = {"os", "subprocess", "builtins", "importlib", "sys", "pty", "ctypes"}
SENSITIVE_MODULES |= UNSAFE_MODULES
# Other spellings of the same module.
MODULE_SYNONYMS = {"posix": "os", "nt": "os", "__builtin__": "builtins", "_pickle": "pickle"}
MODULE_SYNONYMS["cPickle"] = "pickle"
ESCAPE_ATTRIBUTES = {"__subclasses__", "__globals__", "__builtins__"}
BUILTIN_NAMES = set(dir(builtins))
# Popen's ninth positional parameter is `shell`.
SHELL_POSITION = 8
LOCAL = "<local>"


class CodeFinding(BaseModel):
    """One rule broken at one place; line and col are 1-based."""

    rule: str
    message: str
    line: int
    col: int


def canonical(name: str) -> str:
    """The dotted name with module synonyms (posix, nt, _pickle, ...) replaced."""
    head, dot, rest = name.partition(".")
    return MODULE_SYNONYMS.get(head, head) + dot + rest


def fold_str(node: ast.expr, constants: Mapping[str, str] | None = None) -> str | None:
    """The string a constant expression evaluates to ('sys' + 'tem', f-strings, join), or None."""
    known = constants or {}

    def fold(sub: ast.expr) -> str | None:
        return fold_str(sub, known)

    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.Name):
        return known.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = fold(node.left), fold(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        parts = [fold(v.value if isinstance(v, ast.FormattedValue) else v) for v in node.values]
        return None if any(p is None for p in parts) else "".join(p or "" for p in parts)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "join"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.List | ast.Tuple)
    ):
        sep = fold(node.func.value)
        items = [fold(item) for item in node.args[0].elts]
        if sep is None or any(item is None for item in items):
            return None
        return sep.join(item or "" for item in items)
    return None


def module_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level names bound once, to a constant string, and never declared global."""
    bound: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound[node.id] = bound.get(node.id, 0) + 1
        elif isinstance(node, ast.Global | ast.Nonlocal):
            for name in node.names:
                bound[name] = bound.get(name, 0) + 2
    constants: dict[str, str] = {}
    for stmt in tree.body:
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else getattr(stmt, "target", None)
        value = getattr(stmt, "value", None)
        if (
            isinstance(stmt, ast.Assign | ast.AnnAssign)
            and isinstance(target, ast.Name)
            and bound.get(target.id) == 1
            and isinstance(value, ast.expr)
        ):
            folded = fold_str(value, constants)
            if folded is not None:
                constants[target.id] = folded
    return constants


def _rank(name: str | None) -> int:
    """How much an alias matters: dangerous > in a sensitive module > anything else."""
    if name is None:
        return -1
    if name in DANGEROUS_REFS:
        return 2
    return 1 if name.partition(".")[0] in SENSITIVE_MODULES | {"asyncio"} else 0


def _falsy_literal(node: ast.expr) -> bool:
    """Whether node is a literal that is false (False, None, 0, '')."""
    return isinstance(node, ast.Constant) and not node.value


def _call_name_arg(call: ast.Call) -> ast.expr | None:
    """The module-name argument of import_module / __import__."""
    if call.args:
        return call.args[0]
    return next((kw.value for kw in call.keywords if kw.arg == "name"), None)


def _annotations(tree: ast.Module) -> list[ast.expr]:
    """Every annotation expression: type hints name classes, they don't run them."""
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            found.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns:
            found.append(node.returns)
    return found


class _Scanner:
    """Resolves names to dotted module paths and applies the rules to one module."""

    def __init__(self, tree: ast.Module) -> None:
        """Index parents and collect aliases before any rule runs."""
        self.tree = tree
        self.aliases: dict[str, str] = {}
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
        self.annotations = {
            sub for annotation in _annotations(tree) for sub in ast.walk(annotation)
        }
        self.constants = module_constants(tree)
        self.findings: dict[tuple[str, int, int], CodeFinding] = {}
        self._collect_aliases()

    def fold(self, node: ast.expr) -> str | None:
        """fold_str that also knows the module's string constants."""
        return fold_str(node, self.constants)

    def _bind(self, name: str, target: str | None) -> bool:
        """Record an alias; the first, or a more dangerous, meaning wins (so this terminates)."""
        if target is None:
            return False
        target = canonical(target)
        if _rank(target) <= _rank(self.aliases.get(name)):
            return False
        self.aliases[name] = target
        return True

    def _collect_aliases(self) -> None:
        """Imports, module-level definitions and assignments, followed until nothing changes."""
        for stmt in self.tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self._bind(stmt.name, f"{LOCAL}.{stmt.name}")
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self._bind(alias.asname, alias.name)
                    else:
                        head = alias.name.partition(".")[0]
                        self._bind(head, head)
            elif isinstance(node, ast.ImportFrom):
                module = "." * node.level + (node.module or "")
                for alias in node.names:
                    if alias.name == "*":
                        self._bind_star(module)
                    else:
                        self._bind(alias.asname or alias.name, f"{module}.{alias.name}")
        changed = True
        while changed:
            changed = False
            for target, value in self._assignments():
                changed |= self._bind(target, self.resolve(value))

    def _bind_star(self, module: str) -> None:
        """`from os import *` makes every dangerous name of that module a bare name."""
        prefix = canonical(module) + "."
        for name in DANGEROUS_REFS.keys() | SHELL_CHECKED | {IMPORT_MODULE}:
            if name.startswith(prefix):
                self._bind(name[len(prefix) :], name)

    def _assignments(self) -> list[tuple[str, ast.expr]]:
        """Every (name, value) pair a name can be bound to: =, :=, defaults, for-loops."""
        pairs: list[tuple[str, ast.expr]] = []

        def pair(target: ast.expr, value: ast.expr) -> None:
            if isinstance(target, ast.Name):
                pairs.append((target.id, value))
            elif isinstance(target, ast.Tuple | ast.List) and isinstance(
                value, ast.Tuple | ast.List
            ):
                for sub_target, sub_value in zip(target.elts, value.elts, strict=False):
                    pair(sub_target, sub_value)

        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    pair(target, node.value)
            elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
                pair(node.target, node.value)
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
                if isinstance(node.iter, ast.Tuple | ast.List | ast.Set):
                    for item in node.iter.elts:
                        pair(node.target, item)
            elif isinstance(node, ast.arguments):
                positional = node.posonlyargs + node.args
                for arg, default in zip(positional[::-1], node.defaults[::-1], strict=False):
                    pairs.append((arg.arg, default))
                for arg, kw_default in zip(node.kwonlyargs, node.kw_defaults, strict=True):
                    if kw_default is not None:
                        pairs.append((arg.arg, kw_default))
        return pairs

    def resolve(self, node: ast.AST) -> str | None:
        """The dotted name an expression stands for (`os.system`, `builtins.eval`), or None."""
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            if node.id == "__builtins__":
                return "builtins"
            return f"builtins.{node.id}" if node.id in BUILTIN_NAMES else None
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return canonical(f"{base}.{node.attr}") if base else None
        if isinstance(node, ast.Call):
            return self._resolve_call(node)
        if isinstance(node, ast.Subscript):
            return self._resolve_subscript(node)
        return None

    def _resolve_call(self, node: ast.Call) -> str | None:
        """getattr(module, 'name'), import_module('x') and __import__('x') name a module path."""
        func = self.resolve(node.func)
        if func == "builtins.getattr" and len(node.args) >= 2:
            base, attr = self.resolve(node.args[0]), self.fold(node.args[1])
            return canonical(f"{base}.{attr}") if base and attr is not None else None
        name_arg = _call_name_arg(node)
        name = self.fold(name_arg) if name_arg is not None else None
        if func == IMPORT_MODULE and name:
            return canonical(name)
        if func == "builtins.__import__" and name:
            return canonical(name.partition(".")[0])
        return None

    def _namespace(self, node: ast.expr) -> str | None:
        """The module whose namespace dict an expression is: vars(m), m.__dict__, globals()."""
        if isinstance(node, ast.Call):
            func = self.resolve(node.func)
            if func in ("builtins.globals", "builtins.locals", "builtins.vars") and not node.args:
                return LOCAL
            if func == "builtins.vars" and len(node.args) == 1:
                return self.resolve(node.args[0])
        if isinstance(node, ast.Attribute) and node.attr == "__dict__":
            return self.resolve(node.value)
        return "builtins" if self.resolve(node) == "builtins" else None

    def _resolve_subscript(self, node: ast.Subscript) -> str | None:
        """sys.modules['os'] and vars(os)['system'] name what they look up."""
        base = self.resolve(node.value)
        if base in SHELL_CHECKED:
            # Popen[str] is still Popen, and still callable.
            return base
        key = self.fold(node.slice)
        if key is None:
            return None
        if base == "sys.modules":
            return canonical(key)
        namespace = self._namespace(node.value)
        if namespace == LOCAL:
            return self.resolve(ast.Name(id=key, ctx=ast.Load()))
        return canonical(f"{namespace}.{key}") if namespace else None

    def add(self, rule: str, node: ast.AST, message: str) -> None:
        """Record a finding once per rule and position."""
        line, col = getattr(node, "lineno", 0), getattr(node, "col_offset", -1) + 1
        self.findings.setdefault(
            (rule, line, col), CodeFinding(rule=rule, message=message, line=line, col=col)
        )

    def scan(self) -> list[CodeFinding]:
        """Apply every rule to every node."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                self._check_import(node)
            if isinstance(node, ast.Name | ast.Attribute | ast.Subscript) and not isinstance(
                node.ctx, ast.Load
            ):
                continue
            if isinstance(node, ast.Name | ast.Attribute | ast.Subscript | ast.Call):
                self._check_reference(node)
            if isinstance(node, ast.Call):
                self._check_lookup_call(node)
            elif isinstance(node, ast.Subscript):
                self._check_lookup_subscript(node)
            elif isinstance(node, ast.Attribute) and node.attr in ESCAPE_ATTRIBUTES:
                self.add(INTROSPECTION, node, f"`.{node.attr}` reaches past the module's namespace")
        return sorted(self.findings.values(), key=lambda f: (f.line, f.col, f.rule))

    def _check_import(self, node: ast.Import | ast.ImportFrom) -> None:
        """pickle and marshal may not be imported at all."""
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            modules = [node.module or ""] if node.level == 0 else []
        for module in modules:
            head = canonical(module).partition(".")[0]
            if head in UNSAFE_MODULES:
                self.add(PICKLE_MARSHAL, node, f"importing {head} allows arbitrary code on load")

    def _check_reference(self, node: ast.expr) -> None:
        """Dangerous names anywhere; shell-checked and import_module only where checkable."""
        name = self.resolve(node)
        if name is None:
            return
        if name in DANGEROUS_REFS:
            self.add(DANGEROUS_REFS[name], node, f"{name} may not be used")
        elif isinstance(node, ast.Call) and name.partition(".")[0] in UNSAFE_MODULES:
            self.add(PICKLE_MARSHAL, node, f"loading {name} allows arbitrary code on load")
        elif name in SHELL_CHECKED:
            self._check_shell_use(node, name)
        elif name == IMPORT_MODULE:
            self._check_import_module_use(node)

    def _check_shell_use(self, node: ast.expr, name: str) -> None:
        """A subprocess function called (or handed to a call) without a shell is fine."""
        parent = self.parents.get(node)
        if node in self.annotations or (isinstance(parent, ast.Subscript) and parent.value is node):
            return
        if isinstance(parent, ast.Call):
            is_func = parent.func is node
            if self._shell_unsafe(parent, positional=is_func):
                self.add(SUBPROCESS_SHELL, parent, f"{name} with a shell may not be used")
        elif not self._is_alias_value(node):
            self.add(SUBPROCESS_SHELL, node, f"{name} is stored where its shell flag can't be seen")

    def _check_import_module_use(self, node: ast.expr) -> None:
        """import_module needs a literal module name."""
        parent = self.parents.get(node)
        if isinstance(parent, ast.Call) and parent.func is node:
            name_arg = _call_name_arg(parent)
            if name_arg is None or self.fold(name_arg) is None:
                self.add(DYNAMIC_IMPORT, parent, "importlib.import_module needs a literal name")
        elif not self._is_alias_value(node):
            self.add(
                DYNAMIC_IMPORT, node, "importlib.import_module is passed where it can't be checked"
            )

    def _is_alias_value(self, node: ast.expr) -> bool:
        """Whether node is the whole value of a plain `name = node` binding (followed as alias)."""
        parent = self.parents.get(node)
        # A class attribute is reached as `Class.name`, which aliases don't follow.
        if parent is None or isinstance(self.parents.get(parent), ast.ClassDef):
            return False
        if isinstance(parent, ast.Assign | ast.AnnAssign | ast.NamedExpr):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            return parent.value is node and all(isinstance(t, ast.Name) for t in targets)
        return False

    def _shell_unsafe(self, call: ast.Call, positional: bool) -> bool:
        """Whether a call may pass a truthy shell: literal falsy shell or none at all is safe."""
        if positional and (
            len(call.args) > SHELL_POSITION or any(isinstance(a, ast.Starred) for a in call.args)
        ):
            return True
        for keyword in call.keywords:
            if keyword.arg == "shell" and not _falsy_literal(keyword.value):
                return True
            if keyword.arg is None:
                if not isinstance(keyword.value, ast.Dict):
                    return True
                for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                    named = None if key is None else self.fold(key)
                    if named in (None, "shell") and not _falsy_literal(value):
                        return True
        return False

    def _check_lookup_call(self, node: ast.Call) -> None:
        """getattr on builtins, or on a sensitive module by a computed name."""
        if self.resolve(node.func) != "builtins.getattr" or not node.args:
            return
        base = self.resolve(node.args[0])
        if base == "builtins":
            self.add(BUILTINS_BY_STRING, node, "builtins may not be looked up by string")
        elif base in SENSITIVE_MODULES and (len(node.args) < 2 or self.fold(node.args[1]) is None):
            self.add(
                DYNAMIC_ATTRIBUTE,
                node,
                f"{base} attributes may not be looked up by a computed name",
            )

    def _check_lookup_subscript(self, node: ast.Subscript) -> None:
        """Indexing the builtins namespace, or a sensitive/own namespace by a computed key."""
        namespace = self._namespace(node.value)
        computed = self.fold(node.slice) is None
        if namespace == "builtins":
            self.add(BUILTINS_BY_STRING, node, "builtins may not be looked up by string")
        elif computed and namespace in SENSITIVE_MODULES | {LOCAL}:
            label = "the module namespace" if namespace == LOCAL else namespace
            self.add(DYNAMIC_ATTRIBUTE, node, f"{label} may not be indexed by a computed key")
        elif computed and self.resolve(node.value) == "sys.modules":
            self.add(DYNAMIC_ATTRIBUTE, node, "sys.modules may not be indexed by a computed key")


def scan_tree(tree: ast.Module) -> list[CodeFinding]:
    """The findings of one parsed module."""
    return _Scanner(tree).scan()


def scan_source(source: str, path: str) -> list[CodeFinding]:
    """The findings of one module's source; unparsable source gives one `code/syntax` finding."""
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        line, col = exc.lineno or 1, exc.offset or 1
        message = f"{path}:{line}: Python does not parse ({exc.msg})"
        return [CodeFinding(rule=SYNTAX, message=message, line=line, col=col)]
    except (ValueError, RecursionError, MemoryError) as exc:
        message = f"{path}: Python does not parse ({type(exc).__name__}: {exc})"
        return [CodeFinding(rule=SYNTAX, message=message, line=1, col=1)]
    try:
        return scan_tree(tree)
    except RecursionError:
        message = f"{path}: code is nested too deeply to check; flatten it"
        return [CodeFinding(rule=SYNTAX, message=message, line=1, col=1)]
