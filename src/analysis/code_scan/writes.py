"""Where a module writes files: each write's target path followed back to the values it is
built from, and named when it is provably outside the repository (absolute, home, `..`)."""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Iterator

from self_improving_agent.analysis.code_scan.flow import Flow
from self_improving_agent.analysis.code_scan.spawns import keyword_value
from self_improving_agent.analysis.code_scan.values import is_dotted

HOME = "the home folder"
FROM_ENV = "a folder named by the environment"
# Paths every program may write: the null device and the process's own standard streams.
STREAMS = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"})
# Calls that write the path they are given (index of the path argument, -1: every argument).
PATH_WRITES = {
    "builtins.open": 0,
    "io.open": 0,
    "codecs.open": 0,
    "os.open": 0,
    "os.remove": 0,
    "os.unlink": 0,
    "os.makedirs": 0,
    "os.mkdir": 0,
    "os.rmdir": 0,
    "os.removedirs": 0,
    "os.truncate": 0,
    "os.chmod": 0,
    "os.chown": 0,
    "os.utime": 0,
    "os.mkfifo": 0,
    "shutil.rmtree": 0,
    "os.rename": -1,
    "os.renames": -1,
    "os.replace": -1,
    "os.symlink": -1,
    "os.link": -1,
    "shutil.copy": 1,
    "shutil.copy2": 1,
    "shutil.copyfile": 1,
    "shutil.copytree": 1,
    "shutil.copymode": 1,
    "shutil.copystat": 1,
    "shutil.move": -1,
    "shutil.make_archive": 0,
    "shutil.unpack_archive": 1,
    # Relative writes after a change of folder land in the new folder.
    "os.chdir": 0,
    "os.chroot": 0,
}
# Archive methods that write under the folder they are given (tarfile, zipfile).
EXTRACTS = {"extractall": 0, "extract": 1}
CWD = frozenset({"pathlib.Path.cwd", "os.getcwd", "os.getcwdb"})
ABOVE_CWD = "above the working folder"
ABOVE_REPO = "above the repository (climbing from __file__)"
# Path methods that write the path they are called on.
SELF_WRITES = frozenset({"write_text", "write_bytes", "touch", "mkdir", "unlink", "rmdir"})
SELF_WRITES |= {"symlink_to", "hardlink_to", "chmod", "lchmod"}
# Path methods and functions that keep where a path points (its folder stays the same root).
SAME_PLACE = frozenset({"expanduser", "resolve", "absolute", "with_name", "with_suffix"})
SAME_PLACE |= {"with_stem", "joinpath", "parent", "parents", "as_posix", "__truediv__"}
PATH_MAKERS = frozenset({"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "os.fspath"})
PATH_MAKERS |= {"os.path.join", "os.path.abspath", "os.path.realpath", "os.path.normpath"}
PATH_MAKERS |= {"os.path.expanduser", "os.path.expandvars", "builtins.str", "os.path.dirname"}
PATH_MAKERS |= {"pathlib.PurePosixPath"}
HOMES = frozenset({"pathlib.Path.home", "os.path.expanduser"})
ENV_READS = frozenset({"os.getenv", "os.environ.get", "os.environ.__getitem__"})
ROOTS = frozenset({"os.sep", "os.path.sep", "os.altsep", "os.curdir"})
# os.open flags that create or change a file.
WRITE_FLAGS = frozenset({"O_WRONLY", "O_RDWR", "O_CREAT", "O_APPEND", "O_TRUNC", "O_EXCL"})
MAX_DEPTH = 12


def outside_literal(text: str) -> str | None:
    """text itself when a literal path is outside the repository, else None."""
    if text in STREAMS or not text or "\n" in text or len(text) > 300:
        return None
    if text.startswith("~"):
        return text
    if text.startswith("/") or (len(text) > 2 and text[1] == ":" and text[2] in "\\/"):
        return text
    normal = posixpath.normpath(text.replace("\\", "/"))
    return text if normal == ".." or normal.startswith("../") else None


class WriteTargets:
    """The outside places one module's writes reach, over its solved values."""

    def __init__(self, flow: Flow) -> None:
        """Index the module's bindings by the key they bind."""
        self.flow = flow
        # Folders between the repository's root and the module (set by the caller).
        self.depth = MAX_DEPTH
        self.bound: dict[object, list[ast.expr]] = {}
        for key, value, how in flow.bindings:
            if how in ("=", "+") and isinstance(value, ast.expr):
                self.bound.setdefault(key, []).append(value)

    def at_call(self, node: ast.Call, callees: set[str]) -> Iterator[str]:
        """Outside places this call writes to (nothing when it does not write)."""
        for target in self._targets(node, callees):
            found = self.where(target, 0)
            if found:
                yield found

    def _targets(self, node: ast.Call, callees: set[str]) -> list[ast.expr]:
        """The path expressions a call writes."""
        args = [a for a in node.args if not isinstance(a, ast.Starred)]
        func = node.func
        if isinstance(func, ast.Attribute) and not callees & PATH_WRITES.keys():
            if func.attr in SELF_WRITES:
                return [func.value]
            if func.attr == "open" and self._mode_writes(node, 0):
                return [func.value]
            if func.attr in ("rename", "replace") and self._is_path(func.value):
                return [func.value, *args[:1]]
            if func.attr in EXTRACTS:
                named = keyword_value(node, "path")
                index = EXTRACTS[func.attr]
                return args[index : index + 1] or ([named] if named is not None else [])
            return []
        for callee in sorted(callees & PATH_WRITES.keys()):
            if callee in ("builtins.open", "io.open", "codecs.open"):
                if not self._mode_writes(node, 1):
                    continue
            elif callee == "os.open" and not self.flags_write(node):
                continue
            index = PATH_WRITES[callee]
            if index < 0:
                return args
            named = keyword_value(node, "dst") or keyword_value(node, "file")
            picked = args[index : index + 1] or ([named] if named is not None else [])
            return picked or keyword_paths(node)
        return []

    def _mode_writes(self, node: ast.Call, position: int) -> bool:
        """Whether an open() call's mode may write (w, a, x, + or unknown)."""
        mode = node.args[position] if len(node.args) > position else keyword_value(node, "mode")
        if mode is None:
            return False
        texts = [v[1:] for v in self.flow.resolve(mode) if v.startswith("'")]
        known = texts and len(texts) == len(self.flow.resolve(mode))
        return not known or any(set(t) & set("wax+") for t in texts)

    def flags_write(self, node: ast.Call) -> bool:
        """Whether os.open's flags may create or change the file."""
        flags = node.args[1] if len(node.args) > 1 else keyword_value(node, "flags")
        if flags is None:
            return False
        words = [n.attr for n in ast.walk(flags) if isinstance(n, ast.Attribute)]
        words += [n.id for n in ast.walk(flags) if isinstance(n, ast.Name) and n.id != "os"]
        # Flags named only by os.O_* constants, none of them writing, open for reading.
        return not words or any(w in WRITE_FLAGS or not w.startswith("O_") for w in words)

    def _is_path(self, node: ast.expr) -> bool:
        """Whether an expression is built as a path (a Path call, a `/` join)."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return True
        if isinstance(node, ast.Call):
            return bool(self.flow.resolve(node.func) & PATH_MAKERS)
        return isinstance(node, ast.Name) and any(self._is_path(v) for v in self._bound(node))

    def _bound(self, node: ast.Name) -> list[ast.expr]:
        """The expressions a name is bound to in its scope (parameters: defaults, arguments)."""
        scopes = self.flow.scopes
        scope = scopes.name_scope.get(id(node), scopes.module)
        key = scopes.key(node.id, scope)
        return self.bound.get(key, []) if key is not None else []

    def where(self, node: ast.expr, depth: int) -> str | None:
        """An outside place the path expression may name, or None when none is provable."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant):
            return outside_literal(node.value) if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            inner = first.value if isinstance(first, ast.FormattedValue) else first
            return self.where(inner, depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.Add | ast.Mod):
            right = self.where(node.right, depth + 1) if isinstance(node.op, ast.Div) else None
            return self.where(node.left, depth + 1) or right
        if isinstance(node, ast.Name):
            return self._from_values(node) or self._first(self._bound(node), depth)
        climbed = self._above(node)
        if climbed:
            return climbed
        if isinstance(node, ast.Attribute):
            return self._from_values(node) or (
                self.where(node.value, depth + 1) if node.attr in SAME_PLACE else None
            )
        if isinstance(node, ast.Subscript):
            return FROM_ENV if self.flow.resolve(node.value) & {"os.environ"} else None
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        return None

    def _above(self, node: ast.expr) -> str | None:
        """A folder above the working folder or the repository, reached by .parent, .parents[k]
        or os.path.dirname from the working folder or this file."""
        base, climbs = self._climb(node, 0)
        if base == "cwd" and climbs > 0:
            return ABOVE_CWD
        if base == "file" and climbs >= self.depth + 2:
            return ABOVE_REPO
        return None

    def _climb(self, node: ast.expr, depth: int) -> tuple[str, int]:
        """Where a path starts ('file', 'cwd' or '') and how many folders it climbs from there."""
        if depth > MAX_DEPTH:
            return "", 0
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return "file", 0
            bound = self._bound(node)
            return self._climb(bound[0], depth + 1) if len(bound) == 1 else ("", 0)
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            base, climbs = self._climb(node.value, depth + 1)
            return base, climbs + 1
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
            index = node.slice
            if node.value.attr == "parents" and isinstance(index, ast.Constant):
                base, climbs = self._climb(node.value.value, depth + 1)
                return base, climbs + int(index.value) + 1 if isinstance(index.value, int) else 0
        if isinstance(node, ast.Call):
            callees = {v for v in self.flow.resolve(node.func) if is_dotted(v)}
            if callees & CWD:
                return "cwd", 0
            func, args = node.func, node.args
            if isinstance(func, ast.Attribute) and func.attr in ("resolve", "absolute"):
                return self._climb(func.value, depth + 1)
            if callees & {"os.path.dirname"} and args:
                base, climbs = self._climb(args[0], depth + 1)
                return base, climbs + 1
            if callees & PATH_MAKERS and len(args) == 1:
                return self._climb(args[0], depth + 1)
        return "", 0

    def _first(self, nodes: list[ast.expr], depth: int) -> str | None:
        """The first outside place among expressions."""
        return next((w for n in nodes if (w := self.where(n, depth + 1))), None)

    def _from_values(self, node: ast.expr) -> str | None:
        """An outside place among an expression's solved values (constants, os.sep, home)."""
        for value in sorted(self.flow.resolve(node)):
            if value.startswith("'"):
                found = outside_literal(value[1:])
            elif value.removesuffix("()") in HOMES:
                found = HOME
            else:
                found = "/" if value in ROOTS - {"os.curdir"} else None
            if found:
                return found
        return None

    def _call(self, node: ast.Call, depth: int) -> str | None:
        """A path-building call: Path(...), os.path.join(...), .expanduser(), Path.home()."""
        callees = {v for v in self.flow.resolve(node.func) if is_dotted(v)}
        args = [a for a in node.args if not isinstance(a, ast.Starred)]
        if callees & HOMES and not args:
            return HOME
        if callees & ENV_READS:
            return FROM_ENV
        if callees & {"tempfile.gettempdir"}:
            return None
        if callees & PATH_MAKERS:
            # A later absolute part resets a join; the first part names the root otherwise.
            return self._first(args[1:], depth) or self._first(args[:1], depth)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in SAME_PLACE:
            return self.where(func.value, depth + 1) or self._first(args, depth)
        return None


def keyword_paths(node: ast.Call) -> list[ast.expr]:
    """Path-like keyword arguments of a write call (file=, path=, dst=)."""
    return [k.value for k in node.keywords if k.arg in ("file", "path", "dst", "name")]
