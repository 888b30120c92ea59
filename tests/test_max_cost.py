"""`agent loop --max-cost`: the loop stops before a generation that would pass the budget."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from self_improving_agent.base.store import Store
from self_improving_agent.cli.app import app
from self_improving_agent.providers.mock import SCRIPT_ENV
from tests.loop_kit import good_script, sample_repo, write_script

runner = CliRunner()


def agent(repo: Path, script: Path, *args: str) -> tuple[int, str, str]:
    """Run the CLI with the mock provider on repo; returns exit code, stdout and stderr."""
    argv = [*args, "--repo", str(repo), "--provider", "mock"]
    result = runner.invoke(app, argv, env={"COLUMNS": "300", SCRIPT_ENV: str(script)})
    return result.exit_code, result.stdout, result.stderr


def spent(repo: Path) -> tuple[int, float]:
    """Generations recorded and dollars spent so far, from the store."""
    with Store.for_repo(repo) as store:
        return len(store.list_generations()), store.total_cost()


def test_max_cost_stops_the_loop_before_a_generation_would_pass_it(
    tmp_path: Path, clean_env: None
) -> None:
    repo = sample_repo(tmp_path / "repo")
    one = good_script()
    script = {**one, **{p: one[p] * 3 for p in ("architect", "builder", "reviewer")}}
    path = write_script(tmp_path / "script.json", script)
    code, out, _ = agent(repo, path, "run")
    assert code == 0 and out.startswith("gen 1 ")
    generations, first_cost = spent(repo)
    assert generations == 1 and first_cost > 0

    # Spent c1 plus an average of c1 is 2*c1: a budget of 1.5*c1 allows no further generation.
    code, out, err = agent(
        repo, path, "loop", "--max-gen", "3", "--max-cost", f"{first_cost * 1.5}"
    )
    assert code == 0
    assert out == ""
    assert "stopping: spent $" in err and "would pass --max-cost" in err
    assert spent(repo) == (1, first_cost)

    # A budget just above 2*c1 allows exactly one more; the next average is then over it.
    budget = first_cost * 2 + 1e-9
    code, out, err = agent(repo, path, "loop", "--max-gen", "3", "--max-cost", f"{budget:.12f}")
    assert code == 0
    assert out.startswith("gen 2 ") and "gen 3" not in out
    assert f"would pass --max-cost ${budget:.4f}" in err
    generations, total = spent(repo)
    assert generations == 2
    assert total + total / 2 > budget


def test_without_max_cost_the_loop_runs_to_max_gen(tmp_path: Path, clean_env: None) -> None:
    repo = sample_repo(tmp_path / "repo")
    one = good_script()
    script = {**one, **{p: one[p] * 2 for p in ("architect", "builder", "reviewer")}}
    path = write_script(tmp_path / "script.json", script)
    code, out, err = agent(repo, path, "loop", "--max-gen", "2")
    assert code == 0
    # One result line per generation; a result's further parts are indented below it.
    assert [line.split()[1] for line in out.splitlines() if line.startswith("gen ")] == ["1", "2"]
    assert "stopping" not in err
