"""Pytest hooks that can rewrite, hide or skip test outcomes, found by name or specname."""

from __future__ import annotations

import ast

from self_improving_agent.analysis.code_scan.finding import CodeFinding

OUTCOME_HOOK = "anti-gaming/outcome-hook"

# Hooks that can change what a test run reports, skip or hide tests, or alter the exit status.
OUTCOME_HOOKS = frozenset(
    {
        "pytest_runtest_makereport",
        "pytest_runtest_logreport",
        "pytest_report_teststatus",
        "pytest_runtest_protocol",
        "pytest_runtest_call",
        "pytest_pyfunc_call",
        "pytest_runtestloop",
        "pytest_collection",
        "pytest_collectreport",
        "pytest_make_collect_report",
        "pytest_collect_file",
        "pytest_ignore_collect",
        "pytest_pycollect_makemodule",
        "pytest_pycollect_makeitem",
        "pytest_deselected",
        "pytest_report_from_serializable",
        "pytest_report_to_serializable",
    }
)
MODIFYITEMS = "pytest_collection_modifyitems"
# Ordinary at the end of a session (cleanup, a summary line); outcome-changing only if they
# store into what pytest hands them or leave the process early.
AFTER_RUN_HOOKS = frozenset(
    {"pytest_sessionfinish", "pytest_terminal_summary", "pytest_unconfigure"}
)
OUTCOME_ATTRIBUTES = frozenset(
    {"exitstatus", "testsfailed", "testscollected", "stats", "shouldfail"}
)
REORDERINGS = frozenset({"sorted", "reversed", "list"})
# Reordering collected items is the hook's ordinary use; anything else may drop tests.
ORDERING_METHODS = {"sort", "reverse", "index", "count"}
SKIP_WORDS = ("skip", "xfail", "deselect")


def outcome_hooks(tree: ast.Module) -> list[CodeFinding]:
    """Definitions or bindings of pytest hooks that can rewrite, hide or skip test outcomes."""
    findings = []
    for node in ast.walk(tree):
        name = _bound_hook_name(node)
        if name in OUTCOME_HOOKS:
            message = f"{OUTCOME_HOOK}: {name} can rewrite test outcomes; remove it"
        elif name == MODIFYITEMS and not _only_reorders(node):
            message = f"{OUTCOME_HOOK}: {name} may only reorder items, not drop or skip them"
        elif name in AFTER_RUN_HOOKS and _changes_outcome(node):
            message = f"{OUTCOME_HOOK}: {name} may clean up, not change the outcome or exit"
        else:
            continue
        line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
        findings.append(CodeFinding(rule=OUTCOME_HOOK, message=message, line=line, col=col))
    return findings


def _bound_hook_name(node: ast.AST) -> str | None:
    """The name a def, assignment or setattr(..., 'name', ...) binds, if it looks like a hook."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return _specname(node) or node.name
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
        return node.attr
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "setattr"
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ):
        return node.args[1].value
    return None


def _specname(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The hook a `@hookimpl(specname=...)` decorator names, whatever the function is called."""
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                if keyword.arg == "specname":
                    value = keyword.value
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        return value.value
                    return "pytest_runtest_makereport"
    return None


def _changes_outcome(node: ast.AST) -> bool:
    """Whether an end-of-run hook stores into its arguments or the outcome, or exits early."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return True
    params = {a.arg for a in node.args.args + node.args.kwonlyargs}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute | ast.Subscript) and not isinstance(sub.ctx, ast.Load):
            root = sub.value
            while isinstance(root, ast.Attribute | ast.Subscript):
                root = root.value
            if isinstance(root, ast.Name) and root.id in params:
                return True
        if (
            isinstance(sub, ast.Attribute)
            and not isinstance(sub.ctx, ast.Load)
            and sub.attr in OUTCOME_ATTRIBUTES
        ):
            return True
        if isinstance(sub, ast.Attribute) and sub.attr in ("_exit", "exit", "atexit"):
            return True
        if _mutates_outcome(sub):
            return True
    return False


def _mutates_outcome(node: ast.AST) -> bool:
    """`terminalreporter.stats.pop(...)` and other non-reading calls on the outcome objects."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    owner = node.func.value
    reading = node.func.attr in ("get", "items", "keys", "values", "copy")
    return isinstance(owner, ast.Attribute) and owner.attr in OUTCOME_ATTRIBUTES and not reading


def _only_reorders(node: ast.AST) -> bool:
    """Whether a modifyitems hook body only sorts: no skip words, no deletes, no item rebinding."""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    reordered = _reordering_targets(node)
    for sub in ast.walk(node):
        if id(sub) in reordered:
            continue
        words = []
        if isinstance(sub, ast.Name):
            words.append(sub.id)
        elif isinstance(sub, ast.Attribute):
            words.append(sub.attr)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            words.append(sub.value)
        if any(word in w.lower() for w in words for word in SKIP_WORDS):
            return False
        if isinstance(sub, ast.Delete | ast.AugAssign) or _mutates_items(sub):
            return False
    return True


def _reordering_targets(node: ast.AST) -> set[int]:
    """The `items[:]` targets of `items[:] = sorted(items, ...)`: reordering, not dropping."""
    found = set()
    for sub in ast.walk(node):
        if not (isinstance(sub, ast.Assign) and len(sub.targets) == 1):
            continue
        target = sub.targets[0]
        if (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and target.value.id == "items"
            and isinstance(target.slice, ast.Slice)
            and target.slice.lower is None
            and target.slice.upper is None
            and target.slice.step is None
            and _is_reordering(sub.value)
        ):
            found.add(id(target))
    return found


def _mutates_items(node: ast.AST) -> bool:
    """`items[...] = ...`, `items = ...` or `items.<anything but ordering>(...)`."""
    if isinstance(node, ast.Subscript | ast.Name) and isinstance(node.ctx, ast.Store):
        target = node.value if isinstance(node, ast.Subscript) else node
        return isinstance(target, ast.Name) and target.id == "items"
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "items"
        and node.func.attr not in ORDERING_METHODS
    )


def _is_reordering(value: ast.expr) -> bool:
    """sorted(items, ...), reversed(items) or list(...) of those: the same items, reordered."""
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)):
        return False
    if value.func.id not in REORDERINGS or not value.args:
        return False
    first = value.args[0]
    if isinstance(first, ast.Name):
        return first.id == "items"
    return _is_reordering(first)
