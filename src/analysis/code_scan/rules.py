"""Rule ids, the one sentence saying why each exists, and the names each rule stops."""

from __future__ import annotations

SYNTAX = "code/syntax"
ENCODING = "code/encoding"
SCANNER_ERROR = "scanner-error"
OS_SHELL = "code/os-shell"
SUBPROCESS_SHELL = "code/subprocess-shell"
SPAWN_ARGV = "code/spawn-argv"
EVAL_EXEC = "code/eval-exec"
LOADER = "code/loader"
NATIVE = "code/native"
DUNDER_IMPORT = "code/dunder-import"
DYNAMIC_IMPORT = "code/dynamic-import"
BUILTINS_BY_STRING = "code/builtins-by-string"
DYNAMIC_ATTRIBUTE = "code/dynamic-attribute"
PICKLE_MARSHAL = "code/pickle-marshal"
INTROSPECTION = "code/introspection"
CODE_SWAP = "code/code-swap"
STRING_ANNOTATION = "code/string-annotation"

WHY = {
    SYNTAX: "the file must parse, or nothing else about it can be checked",
    ENCODING: "Python decodes the file by its coding cookie, so any other than utf-8 hides code",
    SCANNER_ERROR: "the scanner failed on this file, and an unchecked file is not written",
    OS_SHELL: "os.system and friends hand a string to a shell, which runs anything",
    SUBPROCESS_SHELL: "a shell given a command string runs anything the string says",
    SPAWN_ARGV: "a shell or interpreter started with -c/-e (or fed stdin) runs code from a string",
    EVAL_EXEC: "running code from a string hides that code from every static check",
    LOADER: "loading a module from an arbitrary file or loader skips the gate that file needs",
    NATIVE: "a native library or the C API reaches the process without any Python-level check",
    DUNDER_IMPORT: "__import__ imports by computed name, hiding which module is used",
    DYNAMIC_IMPORT: "a computed module name hides which module is imported",
    BUILTINS_BY_STRING: "a computed lookup in builtins can reach eval and exec",
    DYNAMIC_ATTRIBUTE: "a computed lookup on a sensitive module can reach its dangerous functions",
    PICKLE_MARSHAL: "deserialising pickle-like data runs code chosen by whoever wrote the data",
    INTROSPECTION: "object internals (subclasses, globals, frames) reach every module loaded",
    CODE_SWAP: "replacing a function's code or defaults changes behaviour no diff shows",
    STRING_ANNOTATION: "string annotations are evaluated by get_type_hints, so they must be types",
}

_SHELL = {
    "os.system": OS_SHELL,
    "os.popen": OS_SHELL,
    "os.startfile": OS_SHELL,
    "subprocess.getoutput": SUBPROCESS_SHELL,
    "subprocess.getstatusoutput": SUBPROCESS_SHELL,
    "asyncio.create_subprocess_shell": SUBPROCESS_SHELL,
    "pydoc.pipepager": SUBPROCESS_SHELL,
    "pydoc.tempfilepager": SUBPROCESS_SHELL,
    "pydoc.pipe_pager": SUBPROCESS_SHELL,
    "pydoc.tempfile_pager": SUBPROCESS_SHELL,
    "webbrowser.GenericBrowser": SUBPROCESS_SHELL,
    "webbrowser.BackgroundBrowser": SUBPROCESS_SHELL,
    "platform.popen": SUBPROCESS_SHELL,
    "commands.getoutput": SUBPROCESS_SHELL,
}
_CODE = {
    name: EVAL_EXEC
    for name in (
        "builtins.eval",
        "builtins.exec",
        "builtins.compile",
        "code.InteractiveInterpreter",
        "code.InteractiveConsole",
        "code.interact",
        "code.compile_command",
        "codeop",
        "types.FunctionType",
        "types.LambdaType",
        "types.CodeType",
        "cProfile.run",
        "cProfile.runctx",
        "cProfile.Profile().run",
        "cProfile.Profile().runctx",
        "profile.run",
        "profile.runctx",
        "profile.Profile().run",
        "profile.Profile().runctx",
        "pdb.run",
        "pdb.runeval",
        "pdb.runctx",
        "pdb.Pdb().run",
        "bdb.Bdb().run",
        "trace.Trace().run",
        "trace.Trace().runctx",
        "logging.config.fileConfig",
        "logging.config.listen",
        "typing._eval_type",
        "typing.ForwardRef._evaluate",
        "typing.ForwardRef()._evaluate",
        "doctest.run_docstring_examples",
    )
}
_LOADERS = {
    name: LOADER
    for name in (
        "runpy",
        "importlib.machinery.SourceFileLoader",
        "importlib.machinery.SourcelessFileLoader",
        "importlib.machinery.ExtensionFileLoader",
        "importlib.util.spec_from_file_location",
        "importlib.util.spec_from_loader",
        "importlib._bootstrap",
        "importlib._bootstrap_external",
        "_imp",
        "imp.load_source",
        "imp.load_module",
        "imp.load_compiled",
        "imp.load_dynamic",
        "zipimport.zipimporter",
    )
}
_NATIVE = {
    f"ctypes.{name}": NATIVE
    for name in (
        "CDLL",
        "PyDLL",
        "WinDLL",
        "OleDLL",
        "cdll",
        "pydll",
        "windll",
        "oledll",
        "pythonapi",
        "LibraryLoader",
        "memmove",
        "memset",
    )
} | {"_ctypes": NATIVE, "cffi.FFI().dlopen": NATIVE}
_DESERIALISE = {
    name: PICKLE_MARSHAL
    for name in (
        "pickle.load",
        "pickle.loads",
        "pickle.Unpickler",
        "pickle._load",
        "pickle._loads",
        "pickle._Unpickler",
        "marshal.load",
        "marshal.loads",
        "shelve.open",
        "shelve.Shelf",
        "shelve.DbfilenameShelf",
        "shelve.BsdDbShelf",
        "dill.load",
        "dill.loads",
        "dill.Unpickler",
        "cloudpickle.load",
        "cloudpickle.loads",
        "joblib.load",
        "jsonpickle.decode",
        "multiprocessing.reduction.ForkingPickler",
        "pandas.read_pickle",
        "yaml.unsafe_load",
        "yaml.unsafe_load_all",
        "yaml.Loader",
        "yaml.UnsafeLoader",
    )
}
_OTHER = {
    "builtins.__import__": DUNDER_IMPORT,
    "importlib.__import__": DUNDER_IMPORT,
    "gc.get_referrers": INTROSPECTION,
    "gc.get_referents": INTROSPECTION,
    "gc.get_objects": INTROSPECTION,
}
# Referencing these at all (called, aliased or passed along) is a finding; a prefix covers
# everything under it ("runpy" covers runpy.run_path).
DANGEROUS: dict[str, str] = _SHELL | _CODE | _LOADERS | _NATIVE | _DESERIALISE | _OTHER
# Types that are harmless to name (isinstance, annotations) and build code only when called.
CALL_ONLY = frozenset({"types.FunctionType", "types.LambdaType", "types.CodeType"})
# Methods dangerous on whatever object they are called (event loops, interpreters, loaders).
DANGEROUS_METHODS = {
    "subprocess_shell": SUBPROCESS_SHELL,
    "runsource": EVAL_EXEC,
    "runcode": EVAL_EXEC,
    "runctx": EVAL_EXEC,
    "runeval": EVAL_EXEC,
    "exec_module": LOADER,
    "load_module": LOADER,
    "dlopen": NATIVE,
    "PyRun_SimpleString": NATIVE,
}
# Harmless unless given a shell or a code-running argv: their calls are checked instead.
SUBPROCESS_CALLS = frozenset(
    f"subprocess.{name}" for name in ("run", "call", "Popen", "check_output", "check_call")
)
# (first argv index, how the rest is given: "list" = one argv list, "varargs" = the rest).
RAW_SPAWNS: dict[str, tuple[int, str]] = {
    **{f"os.{n}": (0, "varargs") for n in ("execl", "execle", "execlp", "execlpe")},
    **{f"os.{n}": (0, "list") for n in ("execv", "execve", "execvp", "execvpe")},
    **{f"os.{n}": (1, "varargs") for n in ("spawnl", "spawnle", "spawnlp", "spawnlpe")},
    **{f"os.{n}": (1, "list") for n in ("spawnv", "spawnve", "spawnvp", "spawnvpe")},
    "os.posix_spawn": (0, "list"),
    "os.posix_spawnp": (0, "list"),
    "pty.spawn": (0, "argv"),
}
EXEC_SPAWNS = {"asyncio.create_subprocess_exec": 0}
CHECKED_IMPORTERS = frozenset({"importlib.import_module", "pkgutil.resolve_name"})
# Modules whose attributes must never be looked up by a computed name.
SENSITIVE_MODULES = frozenset(
    {"os", "subprocess", "builtins", "importlib", "sys", "pty", "ctypes", "_ctypes", "pickle"}
    | {"marshal", "shelve", "dill", "code", "codeop", "runpy", "types", "shutil", "asyncio"}
    | {"pydoc", "webbrowser", "cProfile", "profile", "timeit", "pdb", "logging.config"}
    | {"pkgutil", "multiprocessing", "gc", "inspect", "operator", "functools", "_imp", "imp"}
    | {"importlib.util", "importlib.machinery", "multiprocessing.reduction", "cffi", "platform"}
)
ESCAPE_ATTRIBUTES = frozenset({"__subclasses__", "__globals__", "__builtins__", "f_builtins"})
CODE_ATTRIBUTES = frozenset({"__code__", "__defaults__", "__kwdefaults__"})
SHELLS = frozenset(
    {"sh", "bash", "zsh", "dash", "ksh", "mksh", "csh", "tcsh", "fish", "ash", "busybox"}
    | {"rbash", "yash", "pwsh", "powershell", "cmd", "elvish", "nu", "xonsh"}
)
INTERPRETERS = frozenset(
    {"python", "pypy", "node", "nodejs", "deno", "bun", "perl", "ruby", "php", "lua"}
    | {"luajit", "tclsh", "wish", "osascript", "rscript", "julia", "awk", "gawk", "mawk"}
    | {"nawk", "expect", "irb", "jshell", "gdb", "vim", "nvim", "ipython", "jython"}
)
WRAPPERS = frozenset(
    {"env", "sudo", "doas", "nice", "nohup", "setsid", "stdbuf", "time", "command", "exec"}
    | {"timeout", "xargs", "unbuffer", "chrt", "ionice", "taskset", "uv", "pipx", "npx"}
)
INTERPRETER_VALUES = frozenset({"sys.executable", "sys._base_executable"})
# Flags that make an interpreter read its program from the next argument.
CODE_FLAGS = frozenset({"-c", "-e", "-E", "--eval", "-r", "-p", "--command", "-ex", "-"})
CODE_FLAGS |= {"-Command", "-EncodedCommand", "/c", "/k", "/C", "/K", "--exec", "-x"}
SAFE_LOADERS = frozenset({"yaml.SafeLoader", "yaml.CSafeLoader", "yaml.BaseLoader"})
SAFE_LOADERS |= {"yaml.CBaseLoader"}


def dangerous_rule(name: str) -> str | None:
    """The rule a dotted name breaks when referenced, checking each of its prefixes."""
    parts = name.split(".")
    prefix = ""
    for part in parts:
        prefix = f"{prefix}.{part}" if prefix else part
        if prefix in DANGEROUS:
            return DANGEROUS[prefix]
    return None


def sensitive(name: str) -> bool:
    """Whether computed lookups on this dotted name are refused."""
    return name in SENSITIVE_MODULES or name.partition(".")[0] in {"os", "builtins", "sys"}


def star_names(module: str) -> list[str]:
    """Names `from module import *` may bind that some rule cares about."""
    known = DANGEROUS.keys() | SUBPROCESS_CALLS | RAW_SPAWNS.keys() | EXEC_SPAWNS.keys()
    prefix = f"{module}."
    return sorted(n[len(prefix) :] for n in known | CHECKED_IMPORTERS if n.startswith(prefix))


# Roots of every dotted name some rule or lookup needs; values under other roots are dropped.
RELEVANT_ROOTS = (
    frozenset(
        name.partition(".")[0]
        for name in DANGEROUS.keys() | SUBPROCESS_CALLS | RAW_SPAWNS.keys() | EXEC_SPAWNS.keys()
    )
    | {m.partition(".")[0] for m in SENSITIVE_MODULES | CHECKED_IMPORTERS}
    | {
        "shlex",
        "codecs",
        "base64",
        "typing",
        "numpy",
        "torch",
        "yaml",
        "timeit",
        "binascii",
    }
)
