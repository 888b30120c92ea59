"""Flow-insensitive value tracking: what each name, attribute, container and call may hold."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable

from self_improving_agent.analysis.code_scan.rules import RELEVANT_ROOTS, star_names

# A value is a string: a dotted name ("os.system"), a string constant ("'text"), a container
# ("<seq>N"), a namespace ("<ns>os", "<ns>." for this module, "<ns>?" for some module), a frame
# ("<frame>"), or an operator helper ("<getter>name", "<caller>name", "<getattr>base").
Values = frozenset[str]
EMPTY: Values = frozenset()
UNKNOWN_STR = "'\0?"
# More string values than this collapse into "some string"; names are never dropped.
MAX_STRINGS = 8
MAX_STRING_CHARS = 4096
MAX_DOTTED_PARTS = 5
# No rule names more than three parts (a dangerous prefix is refused where it is referenced),
# so longer names are dropped: attribute chains such as `type.__bound__.__default__...` would
# otherwise fill every set. Under os and sys (computed lookups refused at any depth) and the
# caller's own roots (the trust boundary's protected modules) every depth is kept, except past
# a call: `os.getcwd().lower().split()` names a string, not a module.
MAX_RULE_DOTS = 3
DEEP_ROOTS = frozenset({"os", "sys"})
MAX_VALUES = 48
MAX_DEPTH = 60
BUILTIN_NAMES = frozenset(dir(builtins))
MODULE_SYNONYMS = {"posix": "os", "nt": "os", "__builtin__": "builtins", "_pickle": "pickle"}
MODULE_SYNONYMS |= {"cPickle": "pickle", "_posixsubprocess": "subprocess"}
# A module re-exported as another module's attribute (shutil.os, subprocess.sys) is itself.
REEXPORTED = frozenset(
    {"os", "sys", "subprocess", "builtins", "pickle", "marshal", "ctypes", "importlib", "pty"}
    | {"posix", "nt", "types", "codeop", "runpy", "shelve", "_pickle", "operator", "asyncio"}
)
FRAME_SOURCES = frozenset({"sys._getframe", "inspect.currentframe", "sys._current_frames"})
FRAME_ATTRS = frozenset({"f_back", "tb_frame", "gi_frame", "cr_frame", "ag_frame"})
GETATTR_FUNCS = frozenset(
    {"builtins.getattr", "inspect.getattr_static", "object.__getattribute__"}
    | {"builtins.object.__getattribute__", "builtins.type.__getattribute__"}
    | {"types.ModuleType.__getattribute__", "type.__getattribute__"}
)
NAMESPACE_GETTERS = frozenset({"get", "__getitem__", "pop", "setdefault"})
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
Key = tuple[int, str]
SCOPE_TYPES = frozenset(SCOPES + COMPREHENSIONS)
COLLECTED = frozenset(
    {ast.Name, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom, ast.ExceptHandler}
    | {ast.MatchAs, ast.MatchStar}
)


def canonical(name: str) -> str:
    """The dotted name with synonyms and re-exports replaced (shutil.os.system -> os.system)."""
    parts = name.split(".")
    parts[0] = MODULE_SYNONYMS.get(parts[0], parts[0])
    for index in range(len(parts) - 1, 0, -1):
        if parts[index] in REEXPORTED and not parts[index - 1].startswith("<"):
            parts = parts[index:]
            break
    return ".".join(parts[:MAX_DOTTED_PARTS])


def is_dotted(value: str) -> bool:
    """Whether a value names a module-rooted object (not a string, container or marker)."""
    return not value.startswith(("'", "<"))


def strings(values: Iterable[str]) -> list[str] | None:
    """The string constants among values, or None when any possible string is unknown."""
    found = [v[1:] for v in values if v.startswith("'")]
    if not found or UNKNOWN_STR in values:
        return None
    return found


def cap(values: Values, roots: frozenset[str] = frozenset()) -> Values:
    """Drop names no rule cares about, bound the rest; too many strings become one unknown."""
    wanted = RELEVANT_ROOTS | roots if roots else RELEVANT_ROOTS
    deep = DEEP_ROOTS | roots
    kept = {
        v
        for v in values
        if v[:1] in "'<"
        or (
            (root := v.partition(".")[0]) in wanted
            and (v.count(".") < MAX_RULE_DOTS or (root in deep and "()" not in v))
        )
    }
    texts = [v for v in kept if v.startswith("'")]
    # "Some string" absorbs every known one, so a set never shrinks back (the solver ends).
    unknown = UNKNOWN_STR in kept
    if unknown or len(texts) > MAX_STRINGS or any(len(v) > MAX_STRING_CHARS for v in texts):
        kept = {v for v in kept if not v.startswith("'")} | {UNKNOWN_STR}
    if len(kept) > MAX_VALUES:
        kept = set(sorted(kept, key=lambda v: (len(v), v))[:MAX_VALUES])
    return values if kept == values else frozenset(kept)


def _params(args: ast.arguments) -> list[ast.arg]:
    """Every parameter of a function."""
    extra = [a for a in (args.vararg, args.kwarg) if a is not None]
    return args.posonlyargs + args.args + args.kwonlyargs + extra


class Seq:
    """A literal container: its elements' values in order (dict: its values), starred flags."""

    def __init__(self, items: list[Values], starred: list[bool]) -> None:
        self.items = items
        self.starred = starred

    def union(self) -> Values:
        """Every value an element may hold."""
        return frozenset().union(*self.items) if self.items else EMPTY


# Fields that never hold a child node (names, flags, contexts, a constant's value).
SCALAR_FIELDS = frozenset({"id", "arg", "attr", "name", "module", "level", "kind", "ctx"})
SCALAR_FIELDS |= {"type_comment", "is_async", "conversion", "asname"}
_FIELDS: dict[type, tuple[str, ...]] = {ast.Constant: ()}


def _child_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type that may hold child nodes (worked out once per type)."""
    fields = _FIELDS.get(kind)
    if fields is None:
        names: tuple[str, ...] = getattr(kind, "_fields", ())
        fields = _FIELDS[kind] = tuple(f for f in names if f not in SCALAR_FIELDS)
    return fields


class Scopes:
    """Which scope each Name belongs to and which names each scope binds (Python's rules)."""

    def __init__(self, tree: ast.Module) -> None:
        """One iterative pass over the tree."""
        self.parent: dict[int, int] = {}
        self.kind: dict[int, str] = {id(tree): "module"}
        self.bound: dict[int, set[str]] = {id(tree): set()}
        self.globals: dict[int, set[str]] = {}
        self.name_scope: dict[int, int] = {}
        self.node_scope: dict[int, int] = {}
        self.module = id(tree)
        self.funcs: dict[int, str] = {}
        # Scopes don't change once walked, so each (name, scope) is looked up once.
        self._keys: dict[tuple[str, int], Key | None] = {}
        # Every node in source order, and each node's parent, for the passes that follow.
        self.nodes: list[ast.AST] = []
        self.parents: dict[int, ast.AST] = {}
        stack: list[tuple[ast.AST, int]] = [(tree, id(tree))]
        while stack:
            node, scope = stack.pop()
            self.nodes.append(node)
            self.node_scope[id(node)] = scope
            inner = scope
            kind = type(node)
            if kind in SCOPE_TYPES:
                inner = self._open(node, scope)
            if kind in COLLECTED:
                self._collect(node, scope, inner)
            children: list[ast.AST] = []
            for field in _child_fields(kind):
                value = getattr(node, field, None)
                if type(value) is list:
                    children.extend(item for item in value if isinstance(item, ast.AST))
                elif isinstance(value, ast.AST):
                    children.append(value)
            for child in reversed(children):
                self.parents[id(child)] = node
                # Decorators, defaults and bases run in the enclosing scope.
                outer = inner != scope and self._runs_outside(node, child)
                stack.append((child, scope if outer else inner))

    def _open(self, node: ast.AST, scope: int) -> int:
        """A new scope for a function, lambda, class or comprehension; its parameters bound."""
        inner = id(node)
        self.parent[inner] = scope
        self.kind[inner] = "class" if isinstance(node, ast.ClassDef) else "function"
        self.bound[inner] = set()
        self.funcs[inner] = getattr(node, "name", "<lambda>")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            self._bind(scope, node.name)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            for arg in _params(node.args):
                self.bound[inner].add(arg.arg)
        return inner

    @staticmethod
    def _runs_outside(node: ast.AST, child: ast.AST) -> bool:
        """Whether child of a scope node is evaluated in the enclosing scope."""
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return child in node.decorator_list or child is node.returns or child is node.args
        if isinstance(node, ast.ClassDef):
            return child in node.decorator_list or child in node.bases or child in node.keywords
        if isinstance(node, ast.Lambda):
            return child is node.args
        return False

    def _bind(self, scope: int, name: str) -> None:
        """Record that name is bound in scope (or in the module, when declared global)."""
        if name in self.globals.get(scope, set()):
            scope = self.module
        self.bound[scope].add(name)

    def _collect(self, node: ast.AST, scope: int, inner: int) -> None:
        """Bindings made by one node."""
        if isinstance(node, ast.Name):
            self.name_scope[id(node)] = scope
            if not isinstance(node.ctx, ast.Load):
                self._bind(scope, node.id)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            self.globals.setdefault(scope, set()).update(node.names)
            if isinstance(node, ast.Global):
                self.bound[self.module].update(node.names)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    self._bind(scope, alias.asname or alias.name.partition(".")[0])
                elif isinstance(node, ast.ImportFrom):
                    for name in star_names(canonical(node.module or "")):
                        self._bind(scope, name.partition(".")[0])
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            self._bind(scope, node.name)

    def key(self, name: str, scope: int) -> Key | None:
        """The binding a name at scope refers to, or None for a builtin or unbound name."""
        pair = (name, scope)
        if pair not in self._keys:
            self._keys[pair] = self._find_key(name, scope)
        return self._keys[pair]

    def _find_key(self, name: str, scope: int) -> Key | None:
        """key() without the cache: walk out through the enclosing scopes."""
        current: int | None = scope
        first = True
        while current is not None:
            skip = self.kind[current] == "class" and not first
            if not skip and name in self.bound[current]:
                if name in self.globals.get(current, set()):
                    return (self.module, name)
                return (current, name)
            first = False
            current = self.parent.get(current)
        return None
