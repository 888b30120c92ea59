"""Test code may not reach pytest's internals, run at exit, touch reports or skip others' tests."""

from __future__ import annotations

import ast
from collections import Counter

from self_improving_agent.analysis.code_scan.finding import CodeFinding
from self_improving_agent.analysis.code_scan.flow import Flow
from self_improving_agent.base.pysource import parse_source
from self_improving_agent.gates.trust import is_test_path

PYTEST_INTERNALS = "anti-gaming/pytest-internals"
AT_EXIT = "anti-gaming/atexit"
REPORT_FILES = "anti-gaming/report-files"
SKIPS_EXISTING = "anti-gaming/skips-existing-tests"

WHY = {
    PYTEST_INTERNALS: "_pytest's internals decide how outcomes are recorded and reported",
    AT_EXIT: "an exit handler runs after the reports are written and can rewrite them",
    REPORT_FILES: "the junit and coverage reports are what the measurement reads",
    SKIPS_EXISTING: "skipping or xfailing a test the candidate did not add hides a failure",
}
ROOTS = frozenset({"pytest", "_pytest", "unittest", "atexit", "os"})
SKIP_NAMES = frozenset(
    {"pytest.skip", "pytest.xfail", "pytest.importorskip", "pytest.mark.skip"}
    | {"pytest.mark.skipif", "pytest.mark.xfail", "unittest.skip", "unittest.skipIf"}
    | {"unittest.skipUnless", "unittest.expectedFailure", "pytest.skip.Exception"}
)
SKIP_METHODS = frozenset({"skipTest", "add_marker", "applymarker"})
REPORT_WORDS = ("junit", "coverage.json", ".coverage", "lastfailed", ".pytest_cache", "xmlpath")
REPORT_ATTRIBUTES = frozenset({"xmlpath", "LogXML", "junitxml", "_xml", "report_log"})


def _enclosing(tree: ast.Module) -> dict[int, str]:
    """Each node's enclosing top-level definition ('<module>' at module level)."""
    owner: dict[int, str] = {}
    for stmt in tree.body:
        name = getattr(stmt, "name", "<module>")
        for node in ast.walk(stmt):
            owner[id(node)] = name
    return owner


def _test_names(tree: ast.Module | None) -> set[str]:
    """Top-level test functions and classes."""
    if tree is None:
        return set()
    return {
        stmt.name
        for stmt in tree.body
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and stmt.name.lower().startswith("test")
    }


class _TestCodeScan:
    """The rules over one test file, compared with its previous version."""

    def __init__(self, rel: str, before: str | None, tree: ast.Module) -> None:
        self.rel = rel
        # Tests of a report parser name the reports; a conftest runs around every test.
        self.conftest = rel.endswith("conftest.py")
        self.tree = tree
        self.flow = Flow(tree, "", ROOTS)
        self.findings: list[CodeFinding] = []
        try:
            self.old: ast.Module | None = parse_source(before) if before is not None else None
        except (SyntaxError, ValueError):
            self.old = None

    def add(self, rule: str, node: ast.AST, why: str) -> None:
        """Record a finding at node."""
        line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1
        self.findings.append(CodeFinding(rule=rule, message=why, line=line, col=col))

    def skips(self, tree: ast.Module, flow: Flow) -> list[tuple[str, ast.AST]]:
        """(enclosing definition, node) of every skip or xfail applied."""
        owner = _enclosing(tree)
        found: list[tuple[str, ast.AST]] = []
        for node in flow.scopes.nodes:
            if isinstance(node, ast.Attribute | ast.Name) and isinstance(node.ctx, ast.Load):
                hit = bool(flow.resolve(node) & SKIP_NAMES)
            else:
                hit = (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in SKIP_METHODS
                    and self._mentions_skip(node)
                )
            if hit:
                found.append((owner.get(id(node), "<module>"), node))
        return found

    @staticmethod
    def _mentions_skip(node: ast.Call) -> bool:
        """add_marker/applymarker with a skip or xfail marker; skipTest always."""
        if isinstance(node.func, ast.Attribute) and node.func.attr == "skipTest":
            return True
        return any(
            isinstance(sub, ast.Attribute | ast.Name | ast.Constant)
            and any(
                w in str(getattr(sub, "attr", getattr(sub, "id", getattr(sub, "value", ""))))
                for w in ("skip", "xfail")
            )
            for arg in node.args
            for sub in ast.walk(arg)
        )

    def scan(self) -> list[CodeFinding]:
        """Every finding of the file."""
        for node in self.flow.scopes.nodes:
            self._check_node(node)
        self._check_skips()
        return self.findings

    def _check_node(self, node: ast.AST) -> None:
        """Internals, exit handlers and report files."""
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names.append(node.module or "")
            if any(n.partition(".")[0] == "_pytest" for n in names):
                self.add(PYTEST_INTERNALS, node, "test code may not import _pytest internals")
            if any(n.partition(".")[0] == "atexit" for n in names):
                self.add(AT_EXIT, node, "test code may not register exit handlers")
        elif isinstance(node, ast.Attribute) and node.attr in REPORT_ATTRIBUTES:
            self.add(REPORT_FILES, node, f"test code may not touch .{node.attr} (the reports)")
        elif isinstance(node, ast.Attribute | ast.Name) and isinstance(node.ctx, ast.Load):
            values = self.flow.resolve(node)
            if any(v.startswith("_pytest") for v in values):
                self.add(PYTEST_INTERNALS, node, "test code may not use _pytest internals")
            if "os._exit" in values:
                self.add(AT_EXIT, node, "test code may not end the process with os._exit")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and self.conftest:
            text = node.value.casefold()
            if any(word in text for word in REPORT_WORDS):
                self.add(REPORT_FILES, node, "test code may not name the report files")

    def _check_skips(self) -> None:
        """Skips on tests this write adds are fine; on any other test or from a hook, not."""
        new_file = self.old is None and not self.rel.endswith("conftest.py")
        if new_file:
            return
        added_tests = _test_names(self.tree) - _test_names(self.old)
        old_skips: Counter[str] = Counter()
        if self.old is not None:
            old_flow = Flow(self.old, "", ROOTS)
            old_skips.update(name for name, _ in self.skips(self.old, old_flow))
        for name, node in self.skips(self.tree, self.flow):
            if name in added_tests:
                continue
            if old_skips[name] > 0:
                old_skips[name] -= 1
                continue
            why = f"skips or xfails tests this change did not add (in {name})"
            self.add(SKIPS_EXISTING, node, why)


def test_code_findings(rel: str, before: str | None, tree: ast.Module) -> list[CodeFinding]:
    """The test-code rules, for test files and conftests only."""
    if not is_test_path(rel):
        return []
    return _TestCodeScan(rel, before, tree).scan()
