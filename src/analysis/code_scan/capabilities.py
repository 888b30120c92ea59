"""What a module can do, and the capabilities a new version gains over the old one."""

from __future__ import annotations

import ast

from self_improving_agent.analysis.code_scan import gc_paused, package_of
from self_improving_agent.analysis.code_scan.capability import CODE, PROCESS, REACH, Capability
from self_improving_agent.analysis.code_scan.checks import Checker
from self_improving_agent.analysis.code_scan.effects import CallPass
from self_improving_agent.analysis.code_scan.finding import CodeFinding
from self_improving_agent.analysis.code_scan.rules import (
    BUILTINS_BY_STRING,
    CODE_SWAP,
    DUNDER_IMPORT,
    DYNAMIC_ATTRIBUTE,
    DYNAMIC_IMPORT,
    EVAL_EXEC,
    INTROSPECTION,
    LOADER,
    NATIVE,
    OS_SHELL,
    PICKLE_MARSHAL,
    SPAWN_ARGV,
    STRING_ANNOTATION,
    SUBPROCESS_SHELL,
)
from self_improving_agent.base.pysource import parse_source

RULE_KINDS = {
    OS_SHELL: PROCESS,
    SUBPROCESS_SHELL: PROCESS,
    SPAWN_ARGV: PROCESS,
    EVAL_EXEC: CODE,
    LOADER: CODE,
    NATIVE: CODE,
    PICKLE_MARSHAL: CODE,
    DUNDER_IMPORT: CODE,
    DYNAMIC_IMPORT: CODE,
    CODE_SWAP: CODE,
    STRING_ANNOTATION: CODE,
    BUILTINS_BY_STRING: REACH,
    DYNAMIC_ATTRIBUTE: REACH,
    INTROSPECTION: REACH,
}
# A logging config file is the project's own data, vetted like any other file.
HARMLESS_TARGETS = frozenset({"logging.config.fileConfig"})
DUMPERS = frozenset({"pickle.dumps", "marshal.dumps", "dill.dumps", "cloudpickle.dumps"})


def module_roots(tree: ast.Module) -> frozenset[str]:
    """Top-level names of every module the file imports (so their attributes are tracked)."""
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.partition(".")[0])
    return frozenset(roots)


def capabilities(
    tree: ast.Module, path: str, own_tools: frozenset[str] = frozenset()
) -> list[Capability]:
    """Every capability of one parsed module, each once per key, in source order."""
    with gc_paused():
        checker = Checker(tree, package_of(path), module_roots(tree) | CallPass.ROOTS)
        findings = checker.scan()
        calls = CallPass(checker, own_tools)
        calls.targets.depth = path.strip("/").count("/")
        found = [*_from_findings(checker, findings, calls), *calls.run()]
    seen: dict[tuple[str, str, str], Capability] = {}
    for cap in sorted(found, key=lambda c: c.line):
        seen.setdefault(cap.key, cap)
    return list(seen.values())


def _from_findings(
    checker: Checker, findings: list[CodeFinding], calls: CallPass
) -> list[Capability]:
    """The scanner's findings as capabilities, harmless idioms left out."""
    by_place = {
        (node.lineno, node.col_offset + 1): node
        for node in checker.nodes
        if isinstance(node, ast.Call)
    }
    found = []
    for finding in findings:
        kind = RULE_KINDS.get(finding.rule)
        if kind is None:
            continue
        call = by_place.get((finding.line, finding.col))
        target = finding.message.split(" ", 1)[0].rstrip(":")
        if target in HARMLESS_TARGETS or (call is not None and _harmless(checker, calls, call)):
            continue
        rest = finding.message[len(target) :].strip(" :").removesuffix("may not be used")
        detail = f"{finding.rule} {rest}".strip()
        found.append(Capability(kind, target, detail, finding.line, finding.rule))
    return found


def _harmless(checker: Checker, calls: CallPass, call: ast.Call) -> bool:
    """A local round trip, or a process whose whole argv is the project's own constant tool."""
    callees = checker.flow.resolve(call.func)
    if call.args and any(c.endswith((".loads", ".load")) for c in callees):
        inner = call.args[0]
        if isinstance(inner, ast.Call) and checker.flow.resolve(inner.func) & DUMPERS:
            return True
    return calls.own_tool_call(call)


def source_capabilities(
    source: str | None, path: str, own_tools: frozenset[str] = frozenset()
) -> list[Capability] | None:
    """The capabilities of a module's source; None when it does not parse (nothing is known)."""
    if source is None:
        return []
    try:
        with gc_paused():
            tree = parse_source(source, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return capabilities(tree, path, own_tools)


def gained(before: list[Capability] | None, after: list[Capability]) -> list[Capability]:
    """What after can do that before could not, compared per kind, target and arguments."""
    known = {cap.key for cap in before or []}
    return [cap for cap in after if cap.key not in known]
