"""The offline personas through the real ask-and-parse path: Architect and Builder in the mind,
the Reviewer in the judge."""

from __future__ import annotations

from pathlib import Path

import pytest

from self_improving_agent.base.config import Settings
from self_improving_agent.base.config_load import load_settings
from self_improving_agent.base.errors import ProviderError
from self_improving_agent.base.models import Build, EditResult, LlmCall, Plan, Review
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.core.reviewing import MAX_DIFF_CHARS, reviewer_request
from self_improving_agent.mind.offline import OfflineMind, scores_of
from self_improving_agent.mind.personas import architect_request, builder_request
from self_improving_agent.providers.asking import ask
from self_improving_agent.providers.base import Provider, RejectedPlan
from self_improving_agent.providers.offline import OfflineProvider, plan_of

FILES = {
    "pyproject.toml": '[tool.ruff.lint]\nselect = ["F", "I"]\n',
    "pkg/__init__.py": '"""P."""\n',
    "pkg/m.py": (
        '"""M."""\n\nimport os\nimport sys\n\n\ndef cwd() -> str:\n    return os.getcwd()\n'
    ),
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel, text in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(tmp_path / "none", environ={})


def _scores(**values: float) -> list[BenchResult]:
    return [BenchResult(name=name, score=score) for name, score in values.items()]


def _bound(settings: Settings, tree: Path, *rejected: RejectedPlan) -> Provider:
    """The offline personas as a generation's mind on tree has them."""
    safety = settings.safety
    return OfflineMind(
        tree,
        max_files=safety.max_files_per_generation,
        blocked=safety.blocked_patterns,
        protected=safety.protected_paths,
        rejected=rejected,
    )


def _plan(tree: Path, settings: Settings, calls: list[LlmCall], **scores: float) -> Plan:
    request = architect_request("repo map", _scores(**scores), [], [])
    return ask(_bound(settings, tree), request, Plan, calls.append)


def test_architect_and_builder_fix_the_weakest_fixable_benchmark(
    tree: Path, settings: Settings
) -> None:
    calls: list[LlmCall] = []
    plan = _plan(tree, settings, calls, lint_score=0.4, type_check=0.9, test_pass_rate=0.1)
    assert plan.target_benchmarks == ["lint_score"]
    assert plan.files_to_modify == ["pkg/m.py"]
    assert "0.400" in plan.rationale
    request = builder_request(plan, {"pkg/m.py": FILES["pkg/m.py"]})
    build = ask(_bound(settings, tree), request, Build, calls.append)
    assert [c.file for c in build.changes] == ["pkg/m.py"]
    assert build.changes[0].op is None
    assert "import sys" not in build.changes[0].content
    assert "noqa" not in build.changes[0].content
    assert len(calls) == 2
    assert all(c.estimated and c.cost_usd == 0.0 and c.input_tokens > 0 for c in calls)
    assert all(c.provider == "offline" for c in calls)


def test_builder_creates_a_missing_init(tree: Path, settings: Settings) -> None:
    (tree / "pkg/sub").mkdir()
    (tree / "pkg/sub/x.py").write_text('"""X."""\n', encoding="utf-8")
    plan = _plan(tree, settings, [], file_organization=0.8, lint_score=0.9)
    assert plan.files_to_modify == ["pkg/sub/__init__.py"]
    request = builder_request(plan, {"pkg/sub/__init__.py": ""})
    build = ask(_bound(settings, tree), request, Build, lambda _: None)
    assert [(c.file, c.op, c.content) for c in build.changes] == [
        ("pkg/sub/__init__.py", "create", "")
    ]


def test_nothing_left_gives_a_valid_plan_and_an_empty_build(tree: Path, settings: Settings) -> None:
    plan = _plan(tree, settings, [], lint_score=1.0, type_check=1.0, test_pass_rate=0.5)
    assert plan.target_benchmarks == []
    assert len(plan.files_to_modify) == 1
    request = builder_request(plan, {})
    build = ask(_bound(settings, tree), request, Build, lambda _: None)
    assert build.changes == []
    assert build.summary.startswith("nothing left to improve")


def test_the_judges_offline_provider_answers_only_the_reviewer(settings: Settings) -> None:
    request = architect_request("map", _scores(lint_score=0.5), [], [])
    with pytest.raises(ProviderError, match="runs in the mind's process"):
        OfflineProvider().complete(request)


def test_the_prompts_carry_what_the_offline_personas_read() -> None:
    plan = Plan(
        title="Fix lint",
        files_to_modify=["a.py", "pkg/b.py"],
        rationale="Plan: not the title\nFiles to modify: not these",
        target_benchmarks=["lint_score"],
        steps=["Target benchmarks: not this"],
    )
    scores = _scores(lint_score=0.4, type_check=0.0, doc_coverage=1.0)
    assert scores_of(architect_request("map", scores, [], []).prompt) == {
        "type_check": 0.0,
        "lint_score": 0.4,
        "doc_coverage": 1.0,
    }
    files = {"a.py": "Plan: inside a file\n"}
    for text in (builder_request(plan, files).context, reviewer_request(plan, "", []).context):
        assert plan_of(text, "builder") == Plan(
            title="Fix lint", files_to_modify=["a.py", "pkg/b.py"], target_benchmarks=["lint_score"]
        )
    with pytest.raises(ProviderError, match="no plan"):
        plan_of("The planned files:\n", "reviewer")


def test_reviewer_rejects_a_diff_too_long_to_show_whole(settings: Settings) -> None:
    diff = _diff("pkg/m.py", "+x = '" + "y" * MAX_DIFF_CHARS + "'")
    review = _review(settings, ["pkg/m.py"], diff)
    assert not review.approved and "too large" in review.summary


def _diff(path: str, *body: str) -> str:
    header = [
        f"diff --git a/{path} b/{path}",
        "index 1..2 100644",
        f"--- a/{path}",
        f"+++ b/{path}",
    ]
    return "\n".join([*header, "@@ -1,3 +1,3 @@", *body]) + "\n"


def _review(settings: Settings, files: list[str], diff: str) -> Review:
    plan = Plan(title="Fix lint", files_to_modify=files)
    edits = [EditResult(file=f, op="write", applied=True, lines_changed=1) for f in files]
    request = reviewer_request(plan, diff, edits)
    return ask(OfflineProvider(), request, Review, lambda _: None)


def test_reviewer_approves_a_small_diff_in_scope(settings: Settings) -> None:
    review = _review(settings, ["pkg/m.py"], _diff("pkg/m.py", " import os", "-import sys"))
    assert review.approved
    assert review.score >= 0.6


def test_reviewer_approves_a_new_empty_file(settings: Settings) -> None:
    diff = "diff --git a/p/__init__.py b/p/__init__.py\nnew file mode 100644\nindex 0..e69\n"
    assert _review(settings, ["p/__init__.py"], diff).approved


@pytest.mark.parametrize(
    ("diff", "why"),
    [
        (_diff("other.py", "-import sys"), "outside the plan"),
        (_diff("pkg/m.py", "-def test_add() -> None:", "-    assert 1"), "test function"),
        (_diff("pkg/m.py", "-import sys", "+import sys  # noqa"), "suppression"),
        (_diff("pkg/m.py", *(["+x = 1"] * 401)), "too large"),
        ("", "changes nothing"),
    ],
)
def test_reviewer_rejects_what_breaks_a_rule(settings: Settings, diff: str, why: str) -> None:
    review = _review(settings, ["pkg/m.py"], diff)
    assert not review.approved
    assert review.score < 0.6
    assert why in review.summary


def test_reviewer_accepts_an_added_annotation_on_a_test_function(settings: Settings) -> None:
    diff = _diff("tests/test_m.py", "-def test_add():", "+def test_add() -> None:", "     pass")
    review = _review(settings, ["tests/test_m.py"], diff)
    assert review.approved, review.summary
    renamed = _diff("tests/test_m.py", "-def test_add():", "+def test_sum() -> None:")
    assert "removed: test_add" in (_review(settings, ["tests/test_m.py"], renamed).summary or "")


def test_architect_plans_type_check_only_on_files_it_measures(
    tree: Path, settings: Settings
) -> None:
    (tree / "tests").mkdir()
    (tree / "tests/test_m.py").write_text("def test_m():\n    pass\n", encoding="utf-8")
    (tree / "pkg/w.py").write_text('"""W."""\n\n\ndef work(n: int):\n    print(n)\n')
    plan = _plan(tree, settings, [], type_check=0.5, lint_score=0.9)
    assert (plan.target_benchmarks, plan.files_to_modify) == (["type_check"], ["pkg/w.py"])


def test_architect_skips_a_rejected_plan_and_moves_on_to_the_next_benchmark(
    tree: Path, settings: Settings
) -> None:
    (tree / "pkg/w.py").write_text('"""W."""\n\n\ndef work(n: int):\n    print(n)\n')
    request = architect_request("map", _scores(lint_score=0.4, type_check=0.9), [], [])
    rejected = RejectedPlan(files=["pkg/m.py"], benchmark="lint_score")
    plan = ask(_bound(settings, tree, rejected), request, Plan, lambda _: None)
    assert (plan.target_benchmarks, plan.files_to_modify) == (["type_check"], ["pkg/w.py"])
