"""Capabilities seen at calls and stores: processes, network, secrets, writes, reaching in."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from self_improving_agent.analysis.code_scan import credentials as cred
from self_improving_agent.analysis.code_scan.callees import (
    ENV_DUMPS,
    ENV_READERS,
    ENV_SETS,
    EXIT_HOOKS,
    FORKS,
    HANDED_ON,
    LOCATORS,
    NETWORK_CALLS,
    NETWORK_PREFIXES,
    NETWORK_ROOTS,
    PATH_WRITERS,
    PLAIN_SYS,
    REACHERS,
    REPORT_WORDS,
    SCRATCH,
    SECRET_NAME,
    SHELL_CALLS,
    SIGNALS,
    WRITE_CALLS,
    WRITE_METHODS,
    constant_texts,
)
from self_improving_agent.analysis.code_scan.capability import (
    CODE,
    NETWORK,
    PROCESS,
    REACH,
    SECRETS,
    WRITES,
    Capability,
)
from self_improving_agent.analysis.code_scan.namespaces import (
    ENV_VALUE_NODES,
    ENVIRONMENTS,
    NAMESPACE_METHODS,
    environment_escapes,
    foreign_namespace,
    namespace_label,
)
from self_improving_agent.analysis.code_scan.rules import (
    EXEC_SPAWNS,
    INTERPRETER_VALUES,
    RAW_SPAWNS,
    SUBPROCESS_CALLS,
    dangerous_rule,
)
from self_improving_agent.analysis.code_scan.values import Values, is_dotted
from self_improving_agent.analysis.code_scan.writes import WriteTargets

if TYPE_CHECKING:
    from self_improving_agent.analysis.code_scan.checks import Checker

SPAWNS = SUBPROCESS_CALLS | RAW_SPAWNS.keys() | EXEC_SPAWNS.keys()


class CallPass:
    """One pass over a scanned module's calls and stores, on the checker's solved values."""

    ROOTS = NETWORK_ROOTS | {"urllib", "http", "pathlib", "shutil", "inspect", "os", "sys"}
    ROOTS |= {"multiprocessing", "concurrent", "atexit", "signal", "threading", "pty"}
    ROOTS |= cred.CREDENTIAL_ROOTS

    def __init__(self, checker: Checker, own_tools: frozenset[str]) -> None:
        """Capabilities over the checker's flow; own_tools are programs the project ships."""
        self.checker = checker
        self.flow = checker.flow
        self.own_tools = own_tools
        self.found: list[Capability] = []
        self.writes = False
        self.outside: set[str] = set()
        self.targets = WriteTargets(self.flow)

    def _add(self, kind: str, target: str, detail: str, node: ast.AST) -> None:
        """Record one capability."""
        self.found.append(Capability(kind, target, detail, getattr(node, "lineno", 0)))

    def run(self) -> list[Capability]:
        """Every capability seen at a call, a store or a constant."""
        for node in self.checker.nodes:
            kind = type(node)
            if kind is ast.Call:
                assert isinstance(node, ast.Call)
                self._call(node)
            elif kind is ast.Constant:
                self._path_constant(node)
            elif kind in (ast.Attribute, ast.Subscript) and not isinstance(
                getattr(node, "ctx", None), ast.Load
            ):
                self._store(node)
            elif kind is ast.Name or kind is ast.Attribute:
                self._reference(node)
            elif kind is ast.Subscript:
                assert isinstance(node, ast.Subscript)
                if self.flow.resolve(node.value) & {"os.environ", "os.environb"}:
                    self._env_name(node.slice, node)
            if kind in ENV_VALUE_NODES and isinstance(node, ast.expr):
                self._environment(node)
        if self.writes:
            for where in sorted(self.outside):
                self._add(WRITES, where, "", self.checker.tree)
        return self.found

    def _environment(self, node: ast.expr) -> None:
        """The whole environment taken as a value that goes somewhere."""
        parents, alias = self.checker.parents, self.checker.is_alias_value
        if self.flow.resolve(node) & ENVIRONMENTS and environment_escapes(parents, node, alias):
            self._add(SECRETS, "os.environ", "every variable", node)

    def _callees(self, node: ast.Call) -> set[str]:
        """Dotted names the call may invoke."""
        return {v for v in self.flow.resolve(node.func) if is_dotted(v)}

    def _call(self, node: ast.Call) -> None:
        """Processes, network, secrets, writes and reaching in at one call."""
        if isinstance(node.func, ast.Attribute) and node.func.attr in PATH_WRITERS:
            self.writes = True
        callees = self._callees(node)
        self._namespace_call(node)
        for where in self.targets.at_call(node, callees):
            self._add(WRITES, where, "", node)
        for func in callees:
            root = func.partition(".")[0]
            if func in SPAWNS or func in SHELL_CALLS:
                self._spawn(node, func)
            elif func in FORKS:
                self._add(PROCESS, func, "", node)
            elif func in SIGNALS:
                self._add(PROCESS, func, f"signals a process {self._args(node)}", node)
            elif root in cred.CREDENTIAL_ROOTS:
                self._add(SECRETS, func, "a credential store", node)
            elif func in ENV_SETS and node.args:
                self._env_set(node.args[0], node)
            elif func in EXIT_HOOKS:
                self._add(REACH, func, "hooks the interpreter's own events", node)
            elif (
                root in NETWORK_ROOTS or func.startswith(NETWORK_PREFIXES) or func in NETWORK_CALLS
            ):
                self._add(NETWORK, func, self._args(node), node)
            elif func in ENV_READERS and node.args:
                self._env_name(node.args[0], node)
            elif func in ENV_DUMPS:
                self._add(SECRETS, "os.environ", "every variable", node)
            elif func in REACHERS and node.args:
                self._reacher(node, func)
            elif func in LOCATORS:
                self._add(REACH, func, self._args(node), node)
            elif func == "builtins.open":
                self.writes = self.writes or self._open_writes(node)
            elif func == "os.open":
                self.writes = self.writes or self.targets.flags_write(node)
            elif func in WRITE_CALLS or (
                func.startswith("pathlib.") and func.rpartition(".")[2] in WRITE_METHODS
            ):
                self.writes = True
            if func.startswith(("pathlib.Path.home", "os.path.expanduser", "pathlib.Path.exp")):
                self.outside.add("the home folder")
                self._add(SECRETS, cred.HOME, "", node)

    def _args(self, node: ast.Call) -> str:
        """'with constant arguments' or 'with computed arguments'."""
        parts = [*node.args, *(k.value for k in node.keywords)]
        for part in parts:
            if isinstance(part, ast.Starred) or (
                not isinstance(part, ast.Constant)
                and constant_texts(self.flow.resolve(part)) is None
            ):
                return "with computed arguments"
        return "with constant arguments"

    def _argv(self, node: ast.Call, func: str) -> list[Values | None]:
        """The argv elements a spawn call passes."""
        spawns = self.checker.spawns
        if func in SUBPROCESS_CALLS or func in SHELL_CALLS:
            first = node.args[0] if node.args else None
            first = first or next((k.value for k in node.keywords if k.arg == "args"), None)
            return spawns.argv_of(first)
        if func in EXEC_SPAWNS:
            return spawns.argv_from(node.args)
        start, style = RAW_SPAWNS[func]
        args = node.args[start:]
        if style == "argv":
            return spawns.argv_of(args[0] if args else None)
        if style == "list":
            rest = spawns.argv_of(args[1] if len(args) > 1 else None)[1:]
            return spawns.argv_from(args[:1]) + rest
        return spawns.argv_from(args[:1]) + spawns.argv_from(args[2:])

    def constant_argv(self, node: ast.Call, func: str) -> list[str] | None:
        """The argv's words when every one is a single known constant (the program included)."""
        argv = self._argv(node, func)
        words = []
        for element in argv:
            texts = None if element is None else constant_texts(element)
            if texts is None or len(texts) != 1:
                return None
            words.append(texts[0])
        return words or None

    def own_tool_call(self, node: ast.Call) -> bool:
        """A spawn of the project's own tool with a constant argv (however kwargs are passed)."""
        for func in self._callees(node):
            if func in SPAWNS or func in SHELL_CALLS:
                words = self.constant_argv(node, func)
                return words is not None and self._own(words)
        return False

    def _own(self, words: list[str]) -> bool:
        """Whether a constant argv runs one of the project's own programs."""
        program = words[0].rsplit("/", 1)[-1]
        if program in self.own_tools:
            return True
        return len(words) > 2 and words[1] == "-m" and words[2].partition(".")[0] in self.own_tools

    def _spawn(self, node: ast.Call, func: str) -> None:
        """A process start: the program when the argv is constant, else computed."""
        interpreter = self._interpreter(node, func)
        if interpreter is not None:
            if interpreter == "other":
                self._add(PROCESS, func, "runs the Python interpreter", node)
            return
        words = self.constant_argv(node, func)
        if words is not None and self._own(words):
            return
        if words is not None:
            program = words[0] if func not in SHELL_CALLS else f"shell {words[0].split(' ')[0]}"
            self._add(PROCESS, func, f"runs {program}", node)
        else:
            self._add(PROCESS, func, "with a computed command", node)

    def _interpreter(self, node: ast.Call, func: str) -> str | None:
        """'own' for `python -m <own package>` with constant words, 'other' for this
        interpreter run otherwise (however reached), None when the program is another."""
        argv = self._argv(node, func)
        first = argv[0] if argv else None
        if first is None:
            return None
        if first & INTERPRETER_VALUES:
            rest = [None if e is None else constant_texts(e) for e in argv[1:]]
            words = [r[0] if r and len(r) == 1 else None for r in rest]
            constant = all(w is not None for w in words)
            own = constant and self._own(["python", *(w or "" for w in words)])
            return "own" if own else "other"
        texts = constant_texts(first) or []
        return "other" if any(t.startswith("/proc/self/") for t in texts) else None

    def _env_name(self, name: ast.expr, node: ast.AST) -> None:
        """A read of one environment variable: a secret by its name, or a computed name."""
        texts = (
            constant_texts(self.flow.resolve(name)) if not isinstance(name, ast.Starred) else None
        )
        if texts is None:
            self._add(SECRETS, "os.environ", "by a computed name", node)
        for text in texts or []:
            if SECRET_NAME.search(text):
                self._add(SECRETS, "os.environ", text, node)
            elif text.upper() in cred.HOME_VARIABLES:
                self._add(SECRETS, cred.HOME, f"${text}", node)

    def _env_set(self, name: ast.expr, node: ast.AST) -> None:
        """Setting a variable that Python, a checking tool or the agent reads."""
        for text in constant_texts(self.flow.resolve(name)) or []:
            why = cred.configures_tools(text)
            if why:
                self._add(REACH, f"os.environ {text}", f"is set: {why}", node)

    def _reacher(self, node: ast.Call, func: str) -> None:
        """vars/dir/getattr/setattr over another module's namespace."""
        bases = {v for v in self.flow.resolve(node.args[0]) if is_dotted(v)}
        if not bases:
            return
        name = node.args[1] if len(node.args) > 1 else None
        names = constant_texts(self.flow.resolve(name)) if name is not None else None
        if func in ("builtins.getattr", "builtins.dir") and names is not None:
            for base in sorted(bases):
                for text in names:
                    if dangerous_rule(f"{base}.{text}"):
                        self._add(CODE, f"{base}.{text}", "looked up by name", node)
            return
        if func == "builtins.dir":
            return
        for base in sorted(bases):
            self._add(REACH, f"{func.rpartition('.')[2]}({base})", "", node)

    def _open_writes(self, node: ast.Call) -> bool:
        """Whether open() may write: a mode with w, a, x or +, or one not known."""
        mode = node.args[1] if len(node.args) > 1 else None
        mode = mode or next((k.value for k in node.keywords if k.arg == "mode"), None)
        if mode is None:
            return False
        texts = constant_texts(self.flow.resolve(mode))
        return texts is None or any(set(t) & set("wax+") for t in texts)

    def _path_constant(self, node: ast.AST) -> None:
        """A constant path outside the repository: absolute (not scratch), home-relative or .git."""
        value = getattr(node, "value", None)
        if not isinstance(value, str) or len(value) > 300 or "\n" in value:
            return
        if cred.proc_private(value):
            self._add(SECRETS, value, "another process's or this one's private state", node)
        if value.startswith("~") or (value.startswith("/") and len(value) > 1):
            if not value.startswith(SCRATCH) and value != "/" and " " not in value:
                self.outside.add(value)
        elif value == ".git" or value.startswith(".git/") or any(w in value for w in REPORT_WORDS):
            self.outside.add(value)

    def _store(self, node: ast.AST) -> None:
        """Assigning or deleting another module's attribute, or an entry of a namespace that is
        not this module's own (sys.modules, builtins, a frame's or another module's globals)."""
        assert isinstance(node, ast.Attribute | ast.Subscript)
        values = self.flow.resolve(node.value)
        for base in sorted(values):
            if isinstance(node, ast.Attribute) and is_dotted(base):
                target = f"{base}.{node.attr}"
                if target not in PLAIN_SYS and not target.startswith("os.environ"):
                    self._add(REACH, target, "is reassigned", node)
            elif isinstance(node, ast.Subscript) and base in ("os.environ", "os.environb"):
                self._env_set(node.slice, node)
            elif isinstance(node, ast.Subscript) and foreign_namespace(base):
                self._add(REACH, namespace_label(base), "gets an entry", node)

    def _namespace_call(self, node: ast.Call) -> None:
        """A namespace's entries changed by a method (update, setdefault, pop, __setitem__)."""
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in NAMESPACE_METHODS:
            for base in sorted(self.flow.resolve(func.value)):
                if foreign_namespace(base):
                    self._add(REACH, namespace_label(base), "gets an entry", node)

    def _reference(self, node: ast.AST) -> None:
        """getattr or vars handed on as a value (functools.reduce(getattr, ...))."""
        assert isinstance(node, ast.Name | ast.Attribute)
        if not isinstance(node.ctx, ast.Load) or self.checker.is_func(node):
            return
        if self.checker.is_alias_value(node):
            return
        for value in sorted(self.flow.resolve(node) & HANDED_ON):
            self._add(REACH, value, "is passed on as a value", node)
