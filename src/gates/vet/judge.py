"""The one judgement of a change: per file, refused, for a person, or fine."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from self_improving_agent.analysis.code_scan.capabilities import gained, source_capabilities
from self_improving_agent.base.pysource import decode_source
from self_improving_agent.base.safety_config import SafetySection
from self_improving_agent.gates.anti_gaming import count_suppressions
from self_improving_agent.gates.judge_files import HELD_WHY, JUDGE_SETTINGS, steers_judge
from self_improving_agent.gates.safety import (
    PATH_ABSOLUTE,
    PATH_BLOCKED,
    PATH_ESCAPE,
    PATH_GIT,
    PATH_INVALID,
    SafetyValidator,
    is_python,
)
from self_improving_agent.gates.tool_config import (
    INI_SECTIONS,
    LOOSENED_CONFIG,
    TOOL_FILES,
    loosened_tool_config,
)
from self_improving_agent.gates.trust import STARTUP_HOOK
from self_improving_agent.gates.vet.coverage_excludes import hidden_exclusions, main_patterns
from self_improving_agent.gates.vet.ignores import IGNORE_FILES, newly_hidden
from self_improving_agent.gates.vet.model import STATUS_WORDS, FileVerdict, VetItem, VetReport
from self_improving_agent.gates.vet.outside import (
    DEPENDENCY,
    OUTSIDE,
    hard_refusal,
    ini_build_changes,
    outside_reason,
    pyproject_changes,
)
from self_improving_agent.gates.vet.tests_changed import module_renames, test_change_reasons
from self_improving_agent.git_ops.changeset import ChangeSet, FileChange, file_at, word_at

HARD_PATH_RULES = frozenset({PATH_INVALID, PATH_ABSOLUTE, PATH_ESCAPE, PATH_GIT})
# Rules the hard refusals already decide, spelled otherwise by the write gate's path checks.
DECIDED_ELSEWHERE = frozenset({PATH_BLOCKED, STARTUP_HOOK})
TOOL_CONFIG_NAMES = TOOL_FILES | {".pylintrc", "pylintrc"}
# Sections of setup.cfg and tox.ini that configure tools rather than the build.
INI_TOOLS = (*INI_SECTIONS, "isort", "pycodestyle", "pydocstyle", "pylint", "bdist_wheel")
INI_TOOLS += ("egg_info",)
CAPABILITY = "capability/gained"
TOOL_CONFIG = "config/tool-settings"
SUPPRESSION = "config/suppression"
TESTS = "tests/changed"
UNREADABLE = "code/unreadable"
SUBMODULE = "outside/submodule"


@dataclass(frozen=True)
class VetContext:
    """What the judgement needs from main: safety settings, own programs, local module names."""

    root: Path
    safety: SafetySection
    own_tools: frozenset[str] = frozenset()
    local_roots: frozenset[str] = frozenset()
    backend_paths: tuple[str, ...] = ()
    # Main's files and the change's: what an ignore file could hide from the checks.
    files: frozenset[str] = frozenset()
    base: str = ""
    coverage_excludes: tuple[str, ...] = ()
    # The judge's config, benchmark config and evaluators: a change to them waits for a person.
    judge_files: tuple[str, ...] = ()


def _text(data: bytes | None, path: str) -> tuple[str | None, bool]:
    """Bytes as text (Python source as Python decodes it), and whether they were text at all."""
    if data is None:
        return None, True
    try:
        return (decode_source(data) if path.endswith(".py") else data.decode("utf-8")), True
    except (SyntaxError, ValueError):
        return None, False


def vet_changes(changes: ChangeSet, ctx: VetContext) -> VetReport:
    """Judge every file of a change against main's version of it."""
    validator = SafetyValidator(ctx.root, ctx.safety, code_rules=False)
    moves = [(c.old_path, c.path) for c in changes.files if c.old_path and c.old_path != c.path]
    renames = module_renames(moves)
    paths = ctx.files | {c.path for c in changes.files if c.after is not None}
    excludes = main_patterns(partial(_main_text, ctx.root, changes.base))
    ctx = replace(ctx, files=frozenset(paths), base=changes.base, coverage_excludes=excludes)
    files = [judge_file(change, ctx, validator, renames) for change in changes.files]
    return VetReport(base=changes.base, change=changes.label, files=files)


def judge_file(
    fc: FileChange,
    ctx: VetContext,
    validator: SafetyValidator,
    renames: dict[str, str] | None = None,
) -> FileVerdict:
    """Refusals, reasons for a person, or nothing, for one file."""
    link = fc.after.decode("utf-8", "replace") if fc.new_mode == "120000" and fc.after else None
    hard = (
        hard_refusal(fc.path, ctx.safety.blocked_patterns, link, fc.after)
        if fc.after is not None
        else None
    )
    status = STATUS_WORDS.get(fc.status, fc.status)
    if hard is not None:
        item = VetItem(rule=hard[0], message=hard[1])
        return FileVerdict(path=fc.path, old_path=fc.old_path, status=status, refused=[item])
    refused: list[VetItem] = []
    person = _outside(fc, ctx)
    before, before_text = _text(fc.before, fc.path)
    after, after_text = _text(fc.after, fc.path)
    rel, violations = validator.check_path(fc.path)
    if rel is not None and after is not None and fc.new_mode != "120000":
        violations += validator.check_content(rel, before, after)
    for violation in violations:
        item = VetItem(rule=violation.rule, line=violation.line, message=violation.message)
        if violation.rule in HARD_PATH_RULES:
            refused.append(item)
        elif violation.rule not in DECIDED_ELSEWHERE:
            person.append(item)
    person += _config(fc, before, after)
    if posixpath.basename(fc.path) in IGNORE_FILES:
        hidden = newly_hidden(fc.path, before, after, ctx.files)
        if hidden:
            why = f"hides {', '.join(hidden[:5])} from ruff, which skips ignored files"
            person.append(VetItem(rule=TOOL_CONFIG, message=why))
    if is_python(fc.path, after or "") or fc.path.endswith((".py", ".pyi")):
        if not (before_text and after_text):
            person.append(VetItem(rule=UNREADABLE, message="Python that is not UTF-8 text"))
        elif after is not None:
            person += _capabilities(fc, before, after, ctx)
            for line in hidden_exclusions(ctx.coverage_excludes, before, after):
                why = "a comment matches main's coverage exclusion, so coverage skips the line"
                person.append(VetItem(rule=SUPPRESSION, line=line, message=why))
    reasons = test_change_reasons(
        fc.path, fc.old_path, before, after, ctx.local_roots, renames, partial(_used, ctx)
    )
    person += [VetItem(rule=TESTS, message=why) for why in reasons]
    return FileVerdict(
        path=fc.path, old_path=fc.old_path, status=status, refused=refused, person=_unique(person)
    )


def _main_text(root: Path, base: str, name: str) -> str | None:
    """A root file of main as text, or None."""
    data = file_at(root, base, name) if base else None
    return data.decode("utf-8", "replace") if data is not None else None


def _used(ctx: VetContext, name: str) -> bool:
    """Whether main's Python names a word (a fixture a new conftest adds could shadow)."""
    return not ctx.base or word_at(ctx.root, ctx.base, name)


def _unique(items: list[VetItem]) -> list[VetItem]:
    """Each item once, in order."""
    return list(dict.fromkeys(items))


def _outside(fc: FileChange, ctx: VetContext) -> list[VetItem]:
    """Reasons the file runs outside the sandbox (either of its paths)."""
    items = []
    if "160000" in (fc.old_mode, fc.new_mode):
        items.append(VetItem(rule=SUBMODULE, message="a submodule brings in code from elsewhere"))
    for path in dict.fromkeys(p for p in (fc.old_path, fc.path) if p):
        if steers_judge(path, ctx.judge_files):
            items.append(VetItem(rule=JUDGE_SETTINGS, message=f"{path}: {HELD_WHY}"))
        why = outside_reason(path, ctx.backend_paths)
        if why:
            rule = DEPENDENCY if "dependencies" in why else OUTSIDE
            items.append(VetItem(rule=rule, message=f"{path}: {why}"))
    return items


def _config(fc: FileChange, before: str | None, after: str | None) -> list[VetItem]:
    """Build and dependency tables changed, tool config files added, removed or moved."""
    base = posixpath.basename(fc.path.casefold())
    items = []
    if base == "pyproject.toml":
        for what in pyproject_changes(before, after):
            items.append(VetItem(rule=DEPENDENCY, message=f"build or dependency settings: {what}"))
    elif base in ("setup.cfg", "tox.ini"):
        for what in ini_build_changes(before, after, INI_TOOLS):
            items.append(VetItem(rule=OUTSIDE, message=f"{base} runs outside the sandbox: {what}"))
    moved = fc.old_path is not None and fc.old_path != fc.path
    if (
        base in TOOL_CONFIG_NAMES
        and base != "conftest.py"
        and ((before is None) != (after is None) or moved)
    ):
        verb = "adds" if before is None else "removes" if after is None else "moves"
        why = f"{verb} a tool configuration file, which changes what main's tools read"
        items.append(VetItem(rule=TOOL_CONFIG, message=why))
    if after is not None:
        # Main's settings measure the change either way; a person sees the loosening.
        for text in loosened_tool_config(fc.path, before or "", after):
            items.append(VetItem(rule=LOOSENED_CONFIG, message=text))
    added = count_suppressions(fc.path, after or "") - count_suppressions(fc.path, before or "")
    if after is not None and added > 0:
        items.append(VetItem(rule=SUPPRESSION, message=f"adds {added} suppression comment(s)"))
    return items


def _capabilities(fc: FileChange, before: str | None, after: str, ctx: VetContext) -> list[VetItem]:
    """What the new version can do that main's version (followed through a rename) could not."""
    try:
        old = source_capabilities(before, fc.old_path or fc.path, ctx.own_tools)
        new = source_capabilities(after, fc.path, ctx.own_tools)
    except Exception as exc:  # an unscanned file is never waved through
        why = f"the capability scan failed ({type(exc).__name__}: {exc}); a person must read it"
        return [VetItem(rule=UNREADABLE, message=why)]
    if new is None:
        return [VetItem(rule=UNREADABLE, message="the new version does not parse as Python")]
    return [
        VetItem(
            rule=CAPABILITY, line=cap.line, message=f"gains {cap.describe().rsplit(' (line', 1)[0]}"
        )
        for cap in gained(old, new)
    ]
