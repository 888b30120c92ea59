"""AgentCore Memory through boto3 against a loopback stand-in: shared lessons, fallback, status."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from structlog.testing import capture_logs
from typer.testing import CliRunner

from self_improving_agent.base.config import AgentcoreSection, Settings
from self_improving_agent.base.store import Store
from self_improving_agent.cli.app import app
from self_improving_agent.core.generation import RunOptions, run_generation
from self_improving_agent.core.lessons import lesson_memory
from self_improving_agent.memory.agentcore import AgentcoreLessons, make_client, session_for
from self_improving_agent.memory.lessons import Lesson, SqliteLessons
from self_improving_agent.memory.status import agentcore_status
from tests.conftest import git, make_repo
from tests.core.test_generation import improving_script, session, target
from tests.loop_kit import review
from tests.memory.fake_agentcore import FakeAgentcore, serve

MEMORY = "mem-lessons-1"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials from the environment; no shared files, no instance metadata."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTESTING")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def fake() -> FakeAgentcore:
    return FakeAgentcore({MEMORY})


@pytest.fixture
def endpoint(fake: FakeAgentcore) -> Iterator[str]:
    with serve(fake) as url:
        yield url


def section(endpoint: str | None, memory: str | None = MEMORY) -> AgentcoreSection:
    """An enabled [agentcore] table pointing at the stand-in."""
    return AgentcoreSection(
        enabled=True, region="us-east-1", endpoint_url=endpoint, memory_id=memory
    )


def lesson(generation: int, outcome: str = "rejected") -> Lesson:
    return Lesson(
        generation=generation,
        files=["pkg/a.py"],
        benchmark="lint_score",
        tried=f"Plan {generation}",
        outcome=outcome,
        reason="lint got worse",
        created_at=f"2026-12-01T10:00:0{generation}+00:00",
    )


def test_two_clones_share_lessons_through_the_memory(
    tmp_path: Path, endpoint: str, fake: FakeAgentcore
) -> None:
    first = make_repo(tmp_path / "a")
    second = tmp_path / "b"
    git(tmp_path, "clone", "-q", str(first), str(second))
    config = section(endpoint)
    assert session_for(first, config) == session_for(second, config)
    with Store.for_repo(first) as a, Store.for_repo(second) as b:
        writer = AgentcoreLessons(
            SqliteLessons(a), make_client(config), config, session_for(first, config)
        )
        writer.add(lesson(1))
        writer.add(lesson(2, "accepted"))
        reader = AgentcoreLessons(
            SqliteLessons(b), make_client(config), config, session_for(second, config)
        )
        assert [x.generation for x in reader.all()] == [1, 2]
        found = reader.rejected_like(["pkg/a.py"], "lint_score")
        assert found is not None and found.tried == "Plan 1"
        assert reader.relevant(["pkg/a.py"], 1)[0].generation in (1, 2)
        assert SqliteLessons(b).all() == [] and not reader.failed
    assert fake.calls.count("create_event") == 2


def test_an_unreachable_memory_costs_one_warning_and_the_lessons_stay_local(
    tmp_path: Path,
) -> None:
    config = section("http://127.0.0.1:9")
    with Store.for_repo(tmp_path) as store, capture_logs() as logs:
        memory = AgentcoreLessons(SqliteLessons(store), make_client(config), config, "s")
        memory.add(lesson(1))
        memory.add(lesson(2))
        assert [x.generation for x in memory.all()] == [1, 2]
        assert memory.rejected_like(["pkg/a.py"], "lint_score") is not None
    warnings = [x for x in logs if x["log_level"] == "warning"]
    assert len(warnings) == 1 and "local state database" in warnings[0]["event"]


def test_lesson_memory_follows_the_agentcore_table(tmp_path: Path, endpoint: str) -> None:
    with Store.for_repo(tmp_path) as store:
        assert isinstance(lesson_memory(Settings().agentcore, store, tmp_path), SqliteLessons)
        enabled = Settings.model_validate({"agentcore": section(endpoint).model_dump()})
        assert isinstance(lesson_memory(enabled.agentcore, store, tmp_path), AgentcoreLessons)
        no_id = Settings.model_validate({"agentcore": section(endpoint, None).model_dump()})
        with capture_logs() as logs:
            assert isinstance(lesson_memory(no_id.agentcore, store, tmp_path), SqliteLessons)
        assert "without memory_id" in logs[0]["event"]


def test_status_of_a_reachable_memory(tmp_path: Path, endpoint: str) -> None:
    repo = make_repo(tmp_path / "r")
    status = agentcore_status(section(endpoint), repo)
    assert status.problems == []
    assert "credentials: env" in status.lines
    assert status.lines[-1] == "memory answers: yes (this repository's session has no events yet)"


def test_status_of_an_unknown_memory_and_of_an_unreachable_one(
    tmp_path: Path, endpoint: str
) -> None:
    repo = make_repo(tmp_path / "r")
    (problem,) = agentcore_status(section(endpoint, "mem-not-there-1"), repo).problems
    assert (
        problem.startswith("the memory did not answer:") and "mem-not-there-1 not found" in problem
    )
    (problem,) = agentcore_status(section("http://127.0.0.1:9"), repo).problems
    assert problem.startswith("the memory did not answer: Could not connect")


def test_agentcore_status_command_names_each_problem_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, endpoint: str
) -> None:
    repo = make_repo(tmp_path / "r")
    runner = CliRunner()
    result = runner.invoke(app, ["agentcore-status", "--repo", str(repo)])
    assert result.exit_code == 0 and "enabled: false" in result.output
    monkeypatch.setenv("AGENT_AGENTCORE__ENABLED", "true")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    result = runner.invoke(app, ["agentcore-status", "--repo", str(repo)])
    assert result.exit_code == 1
    assert "problem: [agentcore] memory_id is not set" in result.output
    assert "problem: no AWS credentials were found" in result.output
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTESTING")
    monkeypatch.setenv("AGENT_AGENTCORE__MEMORY_ID", MEMORY)
    monkeypatch.setenv("AGENT_AGENTCORE__ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AGENT_AGENTCORE__REGION", "us-east-1")
    result = runner.invoke(app, ["agentcore-status", "--repo", str(repo)])
    assert result.exit_code == 0, result.output
    assert "memory answers: yes" in result.output


def test_a_generation_sends_its_lesson_to_the_memory(
    tmp_path: Path, endpoint: str, fake: FakeAgentcore
) -> None:
    repo = target(tmp_path)
    settings = Settings.model_validate(
        {"agentcore": section(endpoint).model_dump(), "benchmarks": {"python": sys.executable}}
    )
    script = improving_script(reviewer=[review(approved=False)])
    with session(repo, tmp_path, script, settings=settings) as deps:
        outcome = run_generation(deps, RunOptions(auto_merge=True))
    assert outcome.status == "rejected"
    (events,) = fake.events.values()
    text = events[0]["payload"][0]["conversational"]["content"]["text"]
    kept = Lesson.model_validate_json(text)
    assert (kept.generation, kept.tried, kept.outcome) == (1, "Document mul", "rejected")
