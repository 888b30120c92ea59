"""The foundation CLI commands through Typer's CliRunner on real temp repositories."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from self_improving_agent import __version__
from self_improving_agent.base.models import EvolutionEntry
from self_improving_agent.base.store import Store, now_iso
from self_improving_agent.cli.app import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_agent_env(clean_env: None) -> None:
    """Each CLI test sees only the AGENT_* variables it sets."""


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run the CLI and return exit code, stdout and stderr."""
    result = runner.invoke(app, list(args), env={"COLUMNS": "300", **(env or {})})
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0
    assert out.strip() == f"agent {__version__}"


def test_config_show_json_precedence(repo: Path) -> None:
    (repo / "config").mkdir()
    (repo / "config/agent.toml").write_text('[agent]\nmodel = "file"\n')
    code, out, err = invoke("config", "show", "--repo", str(repo), "--json")
    assert code == 0
    assert json.loads(out)["agent"]["model"] == "file"
    assert err == ""
    code, out, _ = invoke("config", "show", "--repo", str(repo), "--json", env={"AGENT_MODEL": "x"})
    assert json.loads(out)["agent"]["model"] == "x"
    code, out, _ = invoke(
        "config",
        "show",
        "--repo",
        str(repo),
        "--json",
        "--model",
        "y",
        "--log-format",
        "json",
        env={"AGENT_MODEL": "x"},
    )
    data = json.loads(out)
    assert (data["agent"]["model"], data["agent"]["log_format"]) == ("y", "json")


def test_config_show_text_is_valid_toml_of_effective_settings(repo: Path) -> None:
    code, out, _ = invoke("config", "show", "--repo", str(repo), "--provider", "mock")
    assert "[agentcore]` table: AgentCore Memory shares lessons between machines" in out
    assert code == 0
    assert 'provider = "mock"' in out
    assert "[safety]" in out


def test_config_validate_good_and_bad(repo: Path, tmp_path: Path) -> None:
    code, out, _ = invoke("config", "validate", "--repo", str(repo))
    assert (code, out.splitlines()[0]) == (0, "ok: built-in defaults is valid")
    assert "sandbox: mode auto runs" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('[agent]\nmodel = "x"\nreview_consensus = 2\n[safety]\nmax_file = 1\n')
    code, _, err = invoke("config", "validate", "--repo", str(repo), "--config", str(bad))
    assert code == 1
    assert "unknown key 'safety.max_file'" in err
    assert "'agent.review_consensus' = 2" in err
    assert str(bad) in err
    bad.write_text("[agent\n")
    code, _, err = invoke("config", "validate", "--repo", str(repo), "--config", str(bad))
    assert code == 1
    assert "line 1, column" in err


def test_every_command_refuses_a_bad_config_before_doing_work(repo: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[nope]\n")
    for command in (["status"], ["history"], ["reset", "--yes"], ["config", "show"]):
        code, _, err = invoke(*command, "--repo", str(repo), "--config", str(bad))
        assert code == 1, command
        assert "unknown key 'nope'" in err
    assert not (repo / ".agent").exists()


def test_config_init_writes_and_refuses_to_overwrite(repo: Path) -> None:
    code, out, _ = invoke("config", "init", "--repo", str(repo))
    assert "wrote" in out
    assert code == 0
    path = repo / "config/agent.toml"
    assert path.is_file()
    assert "# Minimum Reviewer score" in path.read_text()
    code, _, err = invoke("config", "init", "--repo", str(repo))
    assert code == 1
    assert "already exists; pass --force" in err
    path.write_text("# mine\n")
    assert invoke("config", "init", "--repo", str(repo), "--force")[0] == 0
    assert "[agent]" in path.read_text()
    assert invoke("config", "validate", "--repo", str(repo))[0] == 0


def test_missing_repo_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = invoke("status", "--repo", str(tmp_path / "absent"))
    assert code == 2
    assert "does not exist" in err


def seed(repo: Path) -> None:
    """Two finished generations in the repo's store."""
    with Store.for_repo(repo) as store:
        store.add_generation(
            EvolutionEntry(
                generation=1,
                status="accepted",
                title="Add type hints",
                started_at=now_iso(),
                score_before=0.5,
                score_after=0.6,
            )
        )
        store.add_generation(
            EvolutionEntry(
                generation=2,
                status="rejected",
                title="Rename x",
                reason="review score 0.3 < 0.6",
                started_at=now_iso(),
            )
        )


def test_status_and_history_on_empty_state(repo: Path) -> None:
    code, out, _ = invoke("status", "--repo", str(repo))
    assert code == 0
    assert "none yet" in out
    code, out, _ = invoke("history", "--repo", str(repo))
    assert (code, out.strip()) == (0, "No generations yet. Run `agent run` to start the first one.")
    code, out, _ = invoke("history", "--repo", str(repo), "--json")
    assert json.loads(out) == []
    assert not (repo / ".agent").exists()


def test_status_and_history_with_generations(repo: Path) -> None:
    seed(repo)
    code, out, _ = invoke("status", "--repo", str(repo))
    assert code == 0
    assert "generations: 2 (1 accepted, 1 rejected)" in out
    assert "last:       gen 2 rejected -- Rename x" in out
    code, out, _ = invoke("history", "--repo", str(repo))
    assert "+0.100" in out
    assert "review score 0.3 < 0.6" in out
    rows = json.loads(invoke("history", "--repo", str(repo), "--json")[1])
    assert [(r["generation"], r["status"], r["title"]) for r in rows] == [
        (1, "accepted", "Add type hints"),
        (2, "rejected", "Rename x"),
    ]
    assert rows[0]["delta"] == pytest.approx(0.1)
    assert rows[1]["reason"] == "review score 0.3 < 0.6"


def test_reset_asks_then_clears_state_but_not_git(repo: Path) -> None:
    seed(repo)
    head = (repo / ".git/HEAD").read_text()
    declined = runner.invoke(app, ["reset", "--repo", str(repo)], input="n\n")
    assert declined.exit_code == 1
    assert len(json.loads(invoke("history", "--repo", str(repo), "--json")[1])) == 2
    code, out, _ = invoke("reset", "--repo", str(repo), "--yes")
    assert code == 0
    assert "Cleared 2 generation(s)" in out
    assert json.loads(invoke("history", "--repo", str(repo), "--json")[1]) == []
    assert (repo / ".git/HEAD").read_text() == head


def test_reset_without_state(repo: Path) -> None:
    code, out, _ = invoke("reset", "--repo", str(repo), "--yes")
    assert code == 0
    assert "Nothing to reset" in out


@pytest.mark.parametrize(
    "command",
    [[], ["run"], ["loop"], ["demo"], ["bench"], ["report"], ["config", "show"], ["merge"]],
)
def test_every_help_page_reads_as_written(command: list[str]) -> None:
    """Bracketed text survives, on/off flags take no value, and the defaults are shown."""
    code, raw, _ = invoke(*command, "--help")
    out = " ".join(raw.split())
    assert code == 0
    assert "<bool>" not in out
    assert re.search(r"[a-z] \.", out) is None
    if command in (["run"], ["loop"]):
        assert "[default: (<repo>/config/agent.toml, else built-in defaults)]" in out
        assert "[default: (the config's [agent] provider)]" in out
    if command == ["loop"]:
        assert "[default: (the config's [agent] max_generations); x>=1]" in out
