"""The trust boundary: writes that would shadow, patch or bypass the code that judges."""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterator, Sequence

from src.analysis.code_scan.finding import CodeFinding
from src.analysis.code_scan.flow import Flow

STARTUP_HOOK = "trust/startup-hook"
COMPILED = "trust/compiled-code"
SHADOW = "trust/shadow"
PROTECTED_WRITE = "trust/protected-write"
ENV_OVERRIDE = "trust/env-override"
FOR_PEOPLE = "edit it by hand, or in PR mode ask a reviewer"

WHY = {
    STARTUP_HOOK: "sitecustomize, usercustomize and .pth files run in every interpreter started",
    COMPILED: "compiled modules and bytecode can't be read by any gate yet Python imports them",
    SHADOW: "a package, extension or bytecode file of a protected module's name replaces it",
    PROTECTED_WRITE: "patching a protected module from outside changes the judge without a diff",
    ENV_OVERRIDE: "AGENT_* variables override the config, protected tables included",
}
COMPILED_SUFFIXES = (".pyc", ".pyo", ".so", ".pyd", ".dylib", ".dll")
STARTUP_NAMES = ("sitecustomize", "usercustomize")
# `name.cpython-311-x86_64-linux-gnu.so` is the module `name`.
_EXTENSION_TAG = re.compile(r"\.(cpython|pypy|abi3|cp\d)[^/]*$")
NAMESPACE_WRITERS = frozenset({"update", "__setitem__", "setdefault", "pop", "__delitem__"})
NAMESPACE_WRITERS |= {"clear", "popitem"}
ENV_WRITERS = frozenset({"setdefault", "update", "__setitem__", "putenv"})
TEST_NAME = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)")


def is_test_path(path: str) -> bool:
    """Test code: under tests/, test_*.py, *_test.py or a conftest."""
    return bool(TEST_NAME.search(path.casefold()))


def protected_modules(paths: Sequence[str], functions: Sequence[str]) -> list[str]:
    """Dotted names of the protected modules; a package (a protected folder) ends with '.*'."""
    modules = []
    for entry in [*paths, *(f.partition(":")[0] for f in functions)]:
        if ":[" in entry:
            continue
        clean = entry.strip("/")
        if clean.endswith(".py"):
            clean = clean.removesuffix(".py").removesuffix("/__init__")
        elif not entry.endswith("/"):
            continue
        parts = clean.split("/")
        if all(part.isidentifier() for part in parts):
            modules.append(".".join(parts) + (".*" if entry.endswith("/") else ""))
    return sorted(set(modules))


def _is_class_name(name: str) -> bool:
    """CamelCase (a class), not ALL_CAPS (a constant) nor lower_case (a function)."""
    return name[:1].isupper() and any(c.islower() for c in name)


def names_protected(name: str, module: str) -> bool:
    """Whether a dotted value is a protected module, a submodule of a protected package or a
    class defined in one (functions and constants are reached through other rules)."""
    package = module.endswith(".*")
    base = module.removesuffix(".*")
    if name == base:
        return True
    if not name.startswith(base + "."):
        return False
    rest = name[len(base) + 1 :].split(".")
    if package:
        return len(rest) == 1 or (len(rest) == 2 and _is_class_name(rest[1]))
    return len(rest) == 1 and _is_class_name(rest[0])


def _module_stem(path: str) -> str:
    """The import path a file would provide: 'a/b/m.py', 'a/b/m.cpython-311.so' -> 'a/b/m'."""
    stem, _ = posixpath.splitext(path)
    stem = _EXTENSION_TAG.sub("", stem)
    parts = [p for p in stem.split("/") if p != "__pycache__"]
    return "/".join(parts)


def path_findings(rel: str, protected_paths: Sequence[str]) -> list[tuple[str, str]]:
    """(rule, why) for a startup hook, compiled code or a shadow of a protected module."""
    folded = rel.casefold()
    base = posixpath.basename(folded)
    found = []
    if base.endswith(".pth") or posixpath.splitext(base)[0] in STARTUP_NAMES:
        found.append((STARTUP_HOOK, f"is a Python startup hook; {FOR_PEOPLE}"))
    if base.endswith(COMPILED_SUFFIXES) or "__pycache__" in folded.split("/"):
        found.append((COMPILED, "is compiled code, which no gate can read; write source instead"))
    stem = _module_stem(folded)
    for entry in protected_paths:
        if ":[" in entry:
            continue
        target = entry.casefold().strip("/")
        if entry.endswith("/"):
            shadows = stem == target and not folded.startswith(target + "/")
        elif target.endswith(".py"):
            module = target.removesuffix(".py")
            shadows = (stem == module and folded != target) or folded.startswith(module + "/")
        else:
            shadows = False
        if shadows:
            found.append((SHADOW, f"would shadow the protected module {entry!r}; {FOR_PEOPLE}"))
    return found


class _TrustScan:
    """Writes into protected modules from one other module."""

    def __init__(self, tree: ast.Module, package: str, modules: Sequence[str]) -> None:
        self.modules = tuple(modules)
        roots = frozenset(m.partition(".")[0] for m in modules)
        self.flow = Flow(tree, package, roots)
        self.findings: list[CodeFinding] = []

    def protected(self, values: frozenset[str]) -> str | None:
        """The protected module a value set may name (its namespace included), or None."""
        for value in values:
            name = value.removeprefix("<ns>")
            # A call's result (an instance) is not the module; its attributes are its own.
            if name.startswith(("<", "'")) or "()" in name:
                continue
            if any(names_protected(name, module) for module in self.modules):
                return name
        return None

    def under_protected(self, name: str) -> bool:
        """Whether a dotted name is defined in (or is) a protected module."""
        bases = (m.removesuffix(".*") for m in self.modules)
        return any(name == base or name.startswith(base + ".") for base in bases)

    def add(self, rule: str, node: ast.AST, why: str) -> None:
        """Record a finding at node."""
        line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
        message = f"{why}; {FOR_PEOPLE}"
        self.findings.append(CodeFinding(rule=rule, message=message, line=line, col=col))

    def scan(self) -> list[CodeFinding]:
        """Every trust finding of the module."""
        imported = self._imported_names()
        for node in self.flow.scopes.nodes:
            if isinstance(node, ast.Attribute | ast.Subscript) and not isinstance(
                node.ctx, ast.Load
            ):
                self._check_store(node)
            elif isinstance(node, ast.Call):
                self._check_call(node)
            self._check_rebinding(node, imported)
        return self.findings

    def _check_store(self, node: ast.Attribute | ast.Subscript) -> None:
        """module.name = ..., vars(module)[...] = ..., sys.modules[...] = ..., os.environ[...]."""
        base = self.flow.resolve(node.value)
        target = self.protected(base)
        if target:
            self.add(PROTECTED_WRITE, node, f"writes into the protected module {target}")
        elif isinstance(node, ast.Subscript) and "sys.modules" in base:
            self.add(PROTECTED_WRITE, node, "replaces a module in sys.modules")
        elif isinstance(node, ast.Subscript) and "os.environ" in base:
            self._check_env_key(node, [node.slice])

    def _check_call(self, node: ast.Call) -> None:
        """setattr/delattr on a protected module, namespace and sys.modules and environ writers."""
        funcs = self.flow.resolve(node.func)
        if funcs & {"builtins.setattr", "builtins.delattr"} and node.args:
            target = self.protected(self.flow.resolve(node.args[0]))
            if target:
                self.add(PROTECTED_WRITE, node, f"sets an attribute of the protected {target}")
        if not isinstance(node.func, ast.Attribute):
            if funcs & {"os.putenv"}:
                self._check_env_key(node, node.args[:1])
            return
        owner = self.flow.resolve(node.func.value)
        method = node.func.attr
        if method in NAMESPACE_WRITERS | {"__setattr__", "__delattr__"}:
            target = self.protected(owner)
            if target:
                self.add(PROTECTED_WRITE, node, f"changes the namespace of the protected {target}")
            elif "sys.modules" in owner and method != "pop":
                self.add(PROTECTED_WRITE, node, "replaces modules in sys.modules")
        if method in ENV_WRITERS and "os.environ" in owner:
            keys = node.args[:1] if method != "update" else []
            for keyword in node.keywords:
                if keyword.arg:
                    keys.append(ast.Constant(value=keyword.arg))
            if method == "update" and node.args and isinstance(node.args[0], ast.Dict):
                keys += [k for k in node.args[0].keys if k is not None]
            self._check_env_key(node, keys)

    def _check_env_key(self, node: ast.AST, keys: Sequence[ast.expr]) -> None:
        """Setting an AGENT_* variable overrides the agent's config from inside its own code."""
        for key in keys:
            for text in self.flow.fold(key) or []:
                if text.upper().startswith("AGENT_"):
                    self.add(ENV_OVERRIDE, node, f"sets {text}, which overrides the agent's config")

    def _imported_names(self) -> dict[str, str]:
        """Module-level names imported from protected modules -> where from."""
        names: dict[str, str] = {}
        for stmt in self.flow.tree.body:
            if isinstance(stmt, ast.ImportFrom):
                module = self.flow.absolute(stmt.module or "", stmt.level)
                for alias in stmt.names:
                    source = f"{module}.{alias.name}"
                    if self.under_protected(source):
                        names[alias.asname or alias.name] = source
        return names

    def _check_rebinding(self, node: ast.AST, imported: dict[str, str]) -> None:
        """A second definition of a name imported from a protected module, in the importer."""
        if not imported:
            return
        for name, binder in self._module_bindings(node):
            if name in imported:
                why = f"redefines {name}, imported from the protected {imported[name]}"
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
    return _TrustScan(tree, package, modules).scan()
