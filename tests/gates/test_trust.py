"""The trust boundary: protected modules, their shadows and startup hooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from self_improving_agent.base.safety_config import SafetySection
from self_improving_agent.gates.safety import SafetyValidator

PEOPLE = "edit it by hand, or in PR mode ask a reviewer"

# (id, path, content, rule)
REFUSED: list[tuple[str, str, str, str]] = [
    ("shadow-package", "src/sandbox/proc/__init__.py", "x = 1\n", "trust/shadow"),
    ("shadow-so", "src/sandbox/proc.cpython-311-x86_64-linux-gnu.so", "x", "trust/shadow"),
    ("shadow-pyc", "src/sandbox/__pycache__/proc.cpython-311.pyc", "x", "trust/shadow"),
    ("shadow-gates-module", "src/gates.py", "x = 1\n", "trust/shadow"),
    ("sitecustomize", "sitecustomize.py", "x = 1\n", "trust/startup-hook"),
    ("usercustomize-deep", "lib/usercustomize.py", "x = 1\n", "trust/startup-hook"),
    ("pth", "src/evil.pth", "import os\n", "trust/startup-hook"),
    ("compiled", "tools/fast.so", "x", "trust/compiled-code"),
    (
        "code-swap",
        "src/core/hack.py",
        "from self_improving_agent.gates import decision\n"
        "decision.make_merge_decision.__code__ = (lambda *a: None).__code__\n",
        "code/code-swap",
    ),
]

ALLOWED: list[tuple[str, str, str]] = [
    # The agent's own layout means nothing in another repository; its own judge is pinned.
    ("own-layout-decision-module", "src/gates/decision.py", "x = 1\n"),
    ("own-layout-decision-model", "src/gates/decision_model.py", "x = 1\n"),
    ("own-layout-weighted-total", "src/benchmarks/runner.py", "x = 1\n"),
    ("own-layout-outcome-reader", "src/benchmarks/pass_rate.py", "x = 1\n"),
    ("own-layout-code-scan", "src/analysis/code_scan/rules.py", "x = 1\n"),
    ("own-layout-proc", "src/sandbox/proc.py", "x = 1\n"),
    ("own-layout-sandbox", "src/sandbox/sandbox.py", "x = 1\n"),
    ("own-layout-envs", "src/envs/build.py", "x = 1\n"),
    ("own-layout-safety-loading", "src/base/safety_config.py", "x = 1\n"),
    ("own-layout-makefile", "Makefile", "all:\n\ttrue\n"),
    ("own-layout-candidate-measuring", "src/core/candidate.py", "x = 1\n"),
    ("pipeline-module", "src/core/session.py", "x = 1\n"),
    ("reports", "src/reports/text.py", "def show() -> str:\n    return 'x'\n"),
    (
        "use-protected",
        "src/core/x.py",
        "from self_improving_agent.gates.decision import make_merge_decision\n"
        "result = make_merge_decision\n",
    ),
    (
        "instance-attribute",
        "src/core/x.py",
        "from self_improving_agent.gates.safety import SafetyValidator\n"
        "v = SafetyValidator(root)\nv.extra = 1\n",
    ),
    ("env-other", "src/cli/x.py", "import os\nos.environ['PAGER'] = 'cat'\n"),
    ("agent-model", "config/agent.toml", '[agent]\nmodel = "claude-sonnet-4-6"\n'),
]


# A user who protects modules of their own: their shadows are refused too.
USER_PROTECTED = SafetySection(
    protected_paths=[*SafetySection().protected_paths, "src/sandbox/proc.py", "src/gates/"]
)
PACKAGE_DIR = '[tool.setuptools]\npackage-dir = { "self_improving_agent" = "src" }\n'


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A repository whose config/agent.toml has the shipped protected tables."""
    (tmp_path / "config").mkdir()
    shipped = Path(__file__).resolve().parents[2] / "config" / "agent.toml"
    (tmp_path / "config" / "agent.toml").write_text(
        shipped.read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "pyproject.toml").write_text(PACKAGE_DIR, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("path", "content", "rule"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_refused(root: Path, path: str, content: str, rule: str) -> None:
    verdict = SafetyValidator(root, USER_PROTECTED).validate_before_write(path, content)
    assert rule in {v.rule for v in verdict.violations}
    if rule.startswith(("trust/", "path/protected")) and rule != "trust/compiled-code":
        assert any(PEOPLE in v.message for v in verdict.violations if v.rule == rule)


@pytest.mark.parametrize(("path", "content"), [c[1:] for c in ALLOWED], ids=[c[0] for c in ALLOWED])
def test_allowed(root: Path, path: str, content: str) -> None:
    if path == "config/agent.toml":
        shipped = (root / path).read_text(encoding="utf-8")
        content = shipped.replace('model = "claude-sonnet-4-6"', 'model = "claude-haiku-4-5"')
    verdict = SafetyValidator(root).validate_before_write(path, content)
    assert verdict.violations == []
