"""The static gate before every write: paths, dangerous code, protected code, test gaming."""

from __future__ import annotations

import ast
import fnmatch
import posixpath
import re
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, Field

from self_improving_agent.analysis.code_scan import (
    ENCODING,
    SCANNER_ERROR,
    SYNTAX,
    CodeFinding,
    coding_problem,
    gc_paused,
    package_dirs,
    scan_source,
)
from self_improving_agent.analysis.code_scan.capabilities import capabilities, gained
from self_improving_agent.base.pysource import parse_source, read_source
from self_improving_agent.base.safety_config import SafetySection
from self_improving_agent.gates.outcome_hooks import outcome_hooks
from self_improving_agent.gates.outcome_rules import test_code_findings
from self_improving_agent.gates.own_tools import own_tools
from self_improving_agent.gates.rebinding import definitions, rebinds
from self_improving_agent.gates.trust import FOR_PEOPLE, path_findings

PATH_INVALID = "path/invalid"
PATH_ABSOLUTE = "path/absolute"
PATH_ESCAPE = "path/escape"
PATH_GIT = "path/git"
PATH_PROTECTED = "path/protected"
PATH_BLOCKED = "path/blocked"
PROTECTED_TABLE = "path/protected-table"
PROTECTED_FUNCTION = "protected-function"
PYTHON_SUFFIXES = (".py", ".pyi", ".pyw")


class Violation(BaseModel):
    """One broken rule; line is 0 when the rule is about the path, not a line."""

    rule: str = Field(description="Rule id, e.g. 'path/protected' or 'code/eval-exec'.")
    message: str = Field(description="One sentence: what is wrong and what to do instead.")
    line: int = Field(0, ge=0, description="1-based line in the new content, 0 for the file.")


class SafetyVerdict(BaseModel):
    """Whether a write may happen, and every reason it may not."""

    allowed: bool
    violations: list[Violation] = Field(default_factory=list)

    @classmethod
    def of(cls, violations: list[Violation]) -> SafetyVerdict:
        """Allowed exactly when there is no violation."""
        return cls(allowed=not violations, violations=violations)


def _from_finding(finding: CodeFinding, path: str) -> Violation:
    """A code finding as a violation, naming the file."""
    message = finding.message if finding.message.startswith(path) else f"{path}: {finding.message}"
    return Violation(rule=finding.rule, message=message, line=finding.line)


def is_python(path: str, content: str) -> bool:
    """Python by suffix, or a script whose shebang names python."""
    first = content.lstrip("\ufeff").partition("\n")[0]
    return path.endswith(PYTHON_SUFFIXES) or (first.startswith("#!") and "python" in first)


def _fold(path: str) -> str:
    """Paths compare case-insensitively, so a case-insensitive disk can't dodge a rule."""
    return path.casefold()


def _parse(source: str | None, rel: str) -> ast.Module | None:
    """Main's version of a file parsed, or None when there is none or it does not parse."""
    if source is None:
        return None
    try:
        return parse_source(source, filename=rel)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _finding_key(finding: CodeFinding) -> tuple[str, str]:
    """A finding without its place, so the same finding elsewhere in the file is the same."""
    return finding.rule, re.sub(r"\d+", "#", finding.message)


def added_findings(old: list[CodeFinding], new: list[CodeFinding]) -> list[CodeFinding]:
    """The findings of the new version that the old one did not have."""
    known = {_finding_key(f) for f in old}
    return [f for f in new if _finding_key(f) not in known]


def _table(data: dict[str, Any] | None, dotted: str) -> Any:
    """data['a']['b'] for 'a.b', or None when absent."""
    node: Any = data
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


class SafetyValidator:
    """Checks one proposed write statically; it never imports or runs the content."""

    def __init__(
        self,
        project_root: Path,
        safety: SafetySection | None = None,
        code_rules: bool = True,
    ) -> None:
        """code_rules=False (--no-safety) turns off the dangerous-code rules, nothing else."""
        self.root = project_root.resolve()
        self.safety = safety if safety is not None else SafetySection()
        self.code_rules = code_rules
        self.package_dirs = package_dirs(self.root)

    def validate_before_write(self, filepath: str, content: str) -> SafetyVerdict:
        """Every rule the write breaks; allowed only when there are none."""
        rel, violations = self.check_path(filepath)
        if rel is None:
            return SafetyVerdict.of(violations)
        # A blocked file (.env, keys) is never read, not even to compare.
        blocked = any(v.rule == PATH_BLOCKED for v in violations)
        before = None if blocked else self._read(rel)
        return SafetyVerdict.of(violations + self.check_content(rel, before, content))

    def check_content(self, rel: str, before: str | None, after: str) -> list[Violation]:
        """The rules a file's new content breaks that its previous content did not."""
        violations = self._check_tables(rel, before, after)
        if is_python(rel, after):
            violations += self._check_python(rel, before, after)
        return violations

    def _read(self, rel: str) -> str | None:
        """The file's current text under the root, or None when it does not exist."""
        try:
            if rel.endswith(PYTHON_SUFFIXES):
                return read_source(self.root / rel)
            return (self.root / rel).read_text(encoding="utf-8")
        except (OSError, SyntaxError, ValueError):
            return None

    def check_path(self, filepath: str) -> tuple[str | None, list[Violation]]:
        """The normalized relative path and the path rules it breaks (None: unusable path)."""

        def refuse(rule: str, why: str) -> tuple[None, list[Violation]]:
            return None, [Violation(rule=rule, message=f"{filepath!r}: {why}")]

        if not filepath or "\0" in filepath or "\\" in filepath:
            return refuse(PATH_INVALID, "give a non-empty relative path with forward slashes")
        if PurePosixPath(filepath).is_absolute() or filepath.startswith("~"):
            return refuse(PATH_ABSOLUTE, "give a path relative to the repository root")
        if ".." in PurePosixPath(filepath).parts:
            return refuse(PATH_ESCAPE, "'..' is not allowed; give a plain path inside the root")
        rel = posixpath.normpath(filepath)
        target = self.root / rel
        try:
            resolved = target.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return refuse(PATH_ESCAPE, "resolves through a symlink to outside the repository")
        except (OSError, RuntimeError):
            return refuse(PATH_ESCAPE, "cannot be resolved (symlink loop?)")
        if rel == "." or target.is_dir():
            return refuse(PATH_INVALID, "is a directory; give a file path")
        violations = []
        for name in dict.fromkeys([rel, resolved]):
            violations += self._check_names(filepath, name)
        return rel, violations

    def _check_names(self, filepath: str, rel: str) -> list[Violation]:
        """.git, protected paths and blocked patterns for one spelling of the path."""
        folded = _fold(rel)
        found = []
        if ".git" in PurePosixPath(folded).parts:
            found.append((PATH_GIT, "git's own files may not be written"))
        for entry in self.safety.protected_paths:
            if ":[" in entry:
                continue
            protected = _fold(posixpath.normpath(entry.rstrip("/")))
            if folded == protected or (entry.endswith("/") and folded.startswith(protected + "/")):
                why = f"is protected by [safety] protected_paths {entry!r}; {FOR_PEOPLE}"
                found.append((PATH_PROTECTED, why))
        found += path_findings(rel, self.safety.protected_paths)
        base = posixpath.basename(folded)
        for pattern in self.safety.blocked_patterns:
            if fnmatch.fnmatchcase(base, _fold(pattern)):
                found.append((PATH_BLOCKED, f"matches [safety] blocked_patterns {pattern!r}"))
        return [Violation(rule=rule, message=f"{filepath!r} {why}") for rule, why in found]

    def _check_tables(self, rel: str, before: str | None, after: str) -> list[Violation]:
        """A protected `file:[table]` must parse to the same table after the write."""
        violations = []
        for entry in self.safety.protected_paths:
            file, sep, table = entry.partition(":[")
            if not sep or _fold(posixpath.normpath(file)) != _fold(rel):
                continue
            table = table.rstrip("]")
            try:
                new = _table(tomllib.loads(after), table)
            except tomllib.TOMLDecodeError as exc:
                why = f"does not parse as TOML ({exc}), so [{table}] can't be checked"
                violations.append(Violation(rule=PROTECTED_TABLE, message=f"{rel} {why}"))
                continue
            try:
                old = _table(tomllib.loads(before), table) if before is not None else None
            except tomllib.TOMLDecodeError:
                old = None
            if old != new:
                why = f"changes the protected [{table}] table; {FOR_PEOPLE}"
                violations.append(Violation(rule=PROTECTED_TABLE, message=f"{rel} {why}"))
        return violations

    def _check_python(self, rel: str, before: str | None, after: str) -> list[Violation]:
        """Parse, code rules (unless off), outcome hooks and protected functions."""
        try:
            with gc_paused():
                tree = parse_source(after, filename=rel)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            syntax = [f for f in scan_source(after, rel) if f.rule == SYNTAX]
            return [_from_finding(f, rel) for f in syntax] or [
                Violation(rule=SYNTAX, message=f"{rel}: Python does not parse")
            ]
        try:
            with gc_paused():
                old = _parse(before, rel)
                findings = self._content_findings(rel, before, old, tree, after)
            violations = [_from_finding(f, rel) for f in findings]
            return violations + self._check_functions(rel, before, tree)
        except Exception as exc:  # an unchecked write is refused, never let through
            why = f"{rel}: the checks failed ({type(exc).__name__}: {exc}); the write is refused"
            return [Violation(rule=SCANNER_ERROR, message=why)]

    def _content_findings(
        self, rel: str, before: str | None, old: ast.Module | None, tree: ast.Module, after: str
    ) -> list[CodeFinding]:
        """Coding cookie, then what the change adds: outcome hooks, code rules, trust boundary."""
        findings = test_code_findings(rel, before, tree)
        problem = coding_problem(after)
        if problem:
            findings.append(CodeFinding(rule=ENCODING, message=f"{rel}: {problem}", line=1, col=1))
        findings += added_findings(self._rule_findings(rel, old), self._rule_findings(rel, tree))
        if self.code_rules:
            own = own_tools(self.root)
            was = capabilities(old, rel, own) if old is not None else []
            findings += [c.finding() for c in gained(was, capabilities(tree, rel, own)) if c.rule]
        return findings

    def _rule_findings(self, rel: str, tree: ast.Module | None) -> list[CodeFinding]:
        """Outcome hooks of one version of a file."""
        return [] if tree is None else list(outcome_hooks(tree))

    def _check_functions(self, rel: str, before: str | None, tree: ast.Module) -> list[Violation]:
        """Protected functions keep their exact AST and cannot be rebound from anywhere."""
        violations = []
        for entry in self.safety.protected_functions:
            file, _, dotted = entry.partition(":")
            name = dotted.rpartition(".")[2]
            # A method or field is reached through its class, which the trust rules guard.
            for line in rebinds(tree, name) if "." not in dotted else []:
                why = f"rebinds protected function {dotted} ({entry}); {FOR_PEOPLE}"
                violations.append(
                    Violation(rule=PROTECTED_FUNCTION, message=f"{rel}: {why}", line=line)
                )
            if _fold(posixpath.normpath(file)) != _fold(rel) or before is None:
                continue
            try:
                old = definitions(parse_source(before), dotted)
            except (SyntaxError, ValueError, RecursionError):
                continue
            new = definitions(tree, dotted)
            if [ast.dump(s) for s in old] != [ast.dump(s) for s in new]:
                line = new[0].lineno if new else 0
                verb = "changes" if new else "deletes or renames"
                why = f"{verb} protected function {dotted}; {FOR_PEOPLE}"
                violations.append(
                    Violation(rule=PROTECTED_FUNCTION, message=f"{rel}: {why}", line=line)
                )
        return violations
