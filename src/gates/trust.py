"""The trust boundary: the protected modules, and paths that would shadow or bypass them."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence

from self_improving_agent.analysis.code_scan import import_path

STARTUP_HOOK = "trust/startup-hook"
COMPILED = "trust/compiled-code"
SHADOW = "trust/shadow"
FOR_PEOPLE = "edit it by hand, or in PR mode ask a reviewer"

WHY = {
    STARTUP_HOOK: "sitecustomize, usercustomize and .pth files run in every interpreter started",
    COMPILED: "compiled modules and bytecode can't be read by any gate yet Python imports them",
    SHADOW: "a package, extension or bytecode file of a protected module's name replaces it",
}
COMPILED_SUFFIXES = (".pyc", ".pyo", ".so", ".pyd", ".dylib", ".dll")
STARTUP_NAMES = ("sitecustomize", "usercustomize")
# `name.cpython-311-x86_64-linux-gnu.so` is the module `name`.
_EXTENSION_TAG = re.compile(r"\.(cpython|pypy|abi3|cp\d)[^/]*$")
TEST_NAME = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)")


def is_test_path(path: str) -> bool:
    """Test code: under tests/, test_*.py, *_test.py or a conftest."""
    return bool(TEST_NAME.search(path.casefold()))


def protected_modules(
    paths: Sequence[str], functions: Sequence[str], package_dirs: Mapping[str, str] | None = None
) -> list[str]:
    """Dotted names of the protected modules; a package (a protected folder) ends with '.*'."""
    modules = []
    for entry in [*paths, *(f.partition(":")[0] for f in functions)]:
        if ":[" in entry:
            continue
        clean = import_path(entry, package_dirs)
        if clean.endswith(".py"):
            clean = clean.removesuffix(".py").removesuffix("/__init__")
        elif not entry.endswith("/"):
            continue
        parts = clean.split("/")
        if all(part.isidentifier() for part in parts):
            modules.append(".".join(parts) + (".*" if entry.endswith("/") else ""))
    return sorted(set(modules))


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
