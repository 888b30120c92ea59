"""One generation end to end on real temp repositories, real benchmarks and the mock provider."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from self_improving_agent.base.config import Settings
from self_improving_agent.base.models import Change
from self_improving_agent.base.store import Store
from self_improving_agent.core.generation import Deps, GenerationOutcome, RunOptions, run_generation
from self_improving_agent.core.session import open_deps
from self_improving_agent.providers.base import Completion, CompletionRequest
from self_improving_agent.providers.mock import MockProvider
from tests.conftest import git, own_settings, provider_args
from tests.loop_kit import build, plan, review, sample_repo, write_script

UNDOCUMENTED = '"""Products."""\n\n\ndef mul(a: int, b: int) -> int:\n    return a * b\n'
ANCHOR = "    return a * b"
DOCUMENTED = '    """Multiply a by b."""\n    return a * b'


def target(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    """The sample repository plus one undocumented function, which a docstring improves."""
    return sample_repo(tmp_path / "repo", {"pkg/mul.py": UNDOCUMENTED, **(extra or {})})


def improving_script(**replies: list[Any]) -> dict[str, Any]:
    """Replies for one generation that documents mul and is approved; override any persona."""
    script: dict[str, Any] = {
        "architect": [plan(["pkg/mul.py"], "Document mul")],
        "builder": [
            build(Change(file="pkg/mul.py", op="replace", anchor=ANCHOR, content=DOCUMENTED))
        ],
        "reviewer": [review()],
        "delay_s": 0,
    }
    script.update(replies)
    return script


def main_sha(repo: Path) -> str:
    """The commit main points at."""
    return git(repo, "rev-parse", "main").strip()


def assert_nothing_left(repo: Path) -> None:
    """No agent branch, no generation worktree, and a clean user tree."""
    assert git(repo, "branch", "--list", "agent/*").strip() == ""
    worktrees = [ln for ln in git(repo, "worktree", "list", "--porcelain").splitlines() if ln]
    assert [ln for ln in worktrees if ln.startswith("worktree ")] == [f"worktree {repo}"]
    leftover = repo / ".agent" / "worktrees"
    assert not leftover.exists() or not any(leftover.iterdir())
    assert git(repo, "status", "--porcelain") == ""


def report_of(outcome: GenerationOutcome) -> dict[str, Any]:
    """The generation's reports/gen-N.json."""
    data: dict[str, Any] = json.loads(Path(outcome.report_path).read_text(encoding="utf-8"))
    return data


@contextmanager
def session(
    repo: Path,
    tmp_path: Path,
    script: dict[str, Any],
    provider: Any = None,
    settings: Settings | None = None,
) -> Iterator[Deps]:
    """Deps for repo with the mock provider replaying script (or the given provider)."""
    settings = settings or own_settings()
    path = write_script(tmp_path / "script.json", script)
    chosen = provider or MockProvider(
        *provider_args(settings, "mock"), environ={"AGENT_MOCK_SCRIPT": str(path)}
    )
    with Store.for_repo(repo) as store:
        yield open_deps(repo, settings, store, lambda _line: None, chosen)


def run_one(
    repo: Path, tmp_path: Path, script: dict[str, Any], provider: Any = None, **options: Any
) -> GenerationOutcome:
    """Run one generation and return its outcome."""
    with session(repo, tmp_path, script, provider) as deps:
        return run_generation(deps, RunOptions(**options))


GARBAGE = "I would rather not answer in JSON today."
# Replies written by hand: pydantic cannot serialise a lone surrogate, a model can send one.
SURROGATE_PATH = '{"changes": [{"file": "pkg/\\ud800.py", "content": "x = 1\\n"}]}'
SURROGATE_PLAN = '{"title": "t", "files_to_modify": ["pkg/\\udcff.py"]}'
NUL_PATH = '{"changes": [{"file": "pkg/a\\u0000.py", "content": "x = 1\\n"}]}'


@pytest.mark.parametrize(
    ("replies", "phase"),
    [
        ({"architect": [GARBAGE, GARBAGE]}, "plan failed: the architect reply was unusable"),
        ({"builder": [GARBAGE, GARBAGE]}, "implement failed: the builder reply was unusable"),
        ({"reviewer": [GARBAGE, GARBAGE]}, "review failed: the reviewer reply was unusable"),
        ({"architect": ['{"title": "x"}', '{"files": []}']}, "plan failed: the architect"),
        ({"reviewer": []}, "review failed: mock script has no reply left for the reviewer"),
        (
            {
                "builder": [
                    build(Change(file="pkg/mul.py", op="replace", anchor="nope", content="x")),
                    build(Change(file="pkg/mul.py", op="replace", anchor="nada", content="x")),
                ]
            },
            "implement failed: no edit could be applied",
        ),
        (
            {"builder": [build(*[Change(file="pkg/mul.py", op="append", content="#\n")] * 10_000)]},
            "implement failed: the build edits pkg/mul.py 10000 times; the limit is 50 edits",
        ),
        (
            {"builder": [SURROGATE_PATH, SURROGATE_PATH]},
            "implement failed: the builder reply was unusable twice: the reply is refused: a "
            "string holds a lone surrogate, which is not text: 'pkg/\\ud800.py'",
        ),
        (
            {"architect": [SURROGATE_PLAN, SURROGATE_PLAN]},
            "plan failed: the architect reply was unusable twice: the reply is refused",
        ),
        (
            {"builder": [NUL_PATH, NUL_PATH]},
            "implement failed: the builder reply was unusable twice: the reply does not match "
            "the Build schema: changes.0.file: Value error, a path must not contain control",
        ),
    ],
    ids=[
        "architect-garbage",
        "builder-garbage",
        "reviewer-garbage",
        "schema",
        "provider",
        "anchor",
        "append-flood",
        "surrogate-path",
        "surrogate-plan",
        "nul-path",
    ],
)
def test_failure_is_a_rejection_naming_the_phase(
    tmp_path: Path, replies: dict[str, list[Any]], phase: str
) -> None:
    repo = target(tmp_path)
    before = main_sha(repo)
    outcome = run_one(repo, tmp_path, improving_script(**replies), auto_merge=True)
    assert outcome.status == "rejected"
    assert outcome.reason.startswith(phase)
    assert outcome.errored
    report = report_of(outcome)
    assert report["status"] == "rejected"
    assert report["errors"][0]["phase"] == phase.split()[0]
    assert main_sha(repo) == before
    assert_nothing_left(repo)


def test_review_rejection_keeps_main(tmp_path: Path) -> None:
    repo = target(tmp_path)
    before = main_sha(repo)
    outcome = run_one(
        repo, tmp_path, improving_script(reviewer=[review(approved=False)]), auto_merge=True
    )
    assert (outcome.status, outcome.errored) == ("rejected", False)
    assert "the Reviewer did not approve" in outcome.reason
    assert main_sha(repo) == before
    assert_nothing_left(repo)
    assert git(repo, "rev-parse", "--verify", "refs/agent/rejected/gen-1").strip()


@pytest.mark.slow
def test_benchmark_timeout_rejects(tmp_path: Path) -> None:
    # test_pass_rate and code_coverage share one pytest run, which gets the larger timeout. It
    # leaves the sample's own two tests room to finish on a loaded machine (3 s did not).
    timeouts = '{"timeouts": {"test_pass_rate": 20, "code_coverage": 20}}'
    repo = target(tmp_path, {"config/benchmarks.json": timeouts})
    # The slowness is in the code main's tests call: a candidate is measured with main's tests.
    slow = '"""Math helpers."""\n\nimport time\n\n\ndef add(a: int, b: int) -> int:\n'
    slow += '    """Add two numbers."""\n    time.sleep(60)\n    return a + b\n'
    before = main_sha(repo)
    outcome = run_one(
        repo,
        tmp_path,
        improving_script(builder=[build(Change(file="pkg/calc.py", content=slow))]),
        auto_merge=True,
    )
    assert outcome.status == "rejected"
    assert "benchmark test_pass_rate was ok before and is timeout now" in outcome.reason
    assert report_of(outcome)["benchmarks"]["test_pass_rate"]["after"] is not None
    assert main_sha(repo) == before
    assert_nothing_left(repo)


class CommitsToMainBeforeReview:
    """The mock provider, plus a user who commits to main while the Reviewer thinks."""

    name = "mock"

    def __init__(self, inner: MockProvider, repo: Path) -> None:
        self.inner = inner
        self.repo = repo

    def complete(self, request: CompletionRequest) -> Completion:
        """Commit a conflicting change to the user's main, then answer as the mock would."""
        if request.persona == "reviewer":
            (self.repo / "pkg/mul.py").write_text(UNDOCUMENTED.replace("a * b", "b * a"))
            git(self.repo, "commit", "-q", "-am", "user edit")
        return self.inner.complete(request)


def test_conflict_with_a_user_commit_rejects_and_keeps_the_users_main(tmp_path: Path) -> None:
    repo = target(tmp_path)
    script = write_script(tmp_path / "script.json", improving_script())
    inner = MockProvider(
        *provider_args(Settings(), "mock"), environ={"AGENT_MOCK_SCRIPT": str(script)}
    )
    provider = CommitsToMainBeforeReview(inner, repo)
    outcome = run_one(repo, tmp_path, improving_script(), provider, auto_merge=True)
    assert outcome.status == "rejected"
    assert outcome.reason.startswith("merge refused: main moved and conflicts")
    assert git(repo, "log", "-1", "--format=%s", "main").strip() == "user edit"
    assert "b * a" in (repo / "pkg/mul.py").read_text()
    assert_nothing_left(repo)


def test_one_reprompt_recovers_and_both_calls_are_counted(tmp_path: Path) -> None:
    repo = target(tmp_path)
    script = improving_script(architect=[GARBAGE, plan(["pkg/mul.py"], "Document mul")])
    outcome = run_one(repo, tmp_path, script, auto_merge=True)
    assert outcome.status == "accepted", outcome.reason
    report = report_of(outcome)
    personas = [call["persona"] for call in report["llm_calls"]]
    assert personas == ["architect", "architect", "builder", "reviewer"]
    assert report["llm_totals"]["calls"] == 4
    assert '"""Multiply a by b."""' in (repo / "pkg/mul.py").read_text()
    assert_nothing_left(repo)


class Interrupting:
    """A provider that the user interrupts with Ctrl-C while the Builder works."""

    name = "mock"

    def __init__(self, inner: MockProvider) -> None:
        self.inner = inner

    def complete(self, request: CompletionRequest) -> Completion:
        """Answer the Architect; raise KeyboardInterrupt for anyone else."""
        if request.persona != "architect":
            raise KeyboardInterrupt
        return self.inner.complete(request)


def test_ctrl_c_records_interrupted_and_cleans_up(tmp_path: Path) -> None:
    repo = target(tmp_path)
    before = main_sha(repo)
    script = write_script(tmp_path / "script.json", improving_script())
    provider = Interrupting(
        MockProvider(*provider_args(Settings(), "mock"), environ={"AGENT_MOCK_SCRIPT": str(script)})
    )
    with session(repo, tmp_path, improving_script(), provider) as deps:
        with pytest.raises(KeyboardInterrupt):
            run_generation(deps, RunOptions(auto_merge=True))
        entry = deps.store.get_generation(1)
    assert entry is not None and entry.status == "interrupted"
    report = json.loads((repo / "reports/gen-1.json").read_text())
    assert report["status"] == "interrupted"
    assert main_sha(repo) == before
    assert_nothing_left(repo)


def test_unwritable_report_is_an_errored_outcome_not_a_crash(tmp_path: Path) -> None:
    repo = target(tmp_path)
    settings = Settings.model_validate(
        {"agent": {"reports_dir": "README.md/reports"}, "benchmarks": {"python": sys.executable}}
    )
    with session(repo, tmp_path, improving_script(reviewer=[]), settings=settings) as deps:
        outcome = run_generation(deps, RunOptions(auto_merge=True))
        entry = deps.store.get_generation(1)
    assert outcome.errored
    assert outcome.reason.startswith("review failed: mock script has no reply left")
    assert "; record failed: " in outcome.reason
    assert entry is not None and (entry.status, entry.reason) == ("rejected", outcome.reason)
    assert_nothing_left(repo)
