"""The judge of the agent's own repository runs from a pinned commit that only a person moves."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from self_improving_agent.base.models import Change
from self_improving_agent.core.own_repo import running_root
from self_improving_agent.git_ops.judge_pin import PIN_REF
from tests.conftest import git
from tests.loop_kit import build, plan, review, write_script

FAST_BENCHMARKS = {"enabled": ["test_pass_rate"], "timeouts": {"default": 120}, "weights": {}}
TINY_TEST = (
    '"""The trimmed copy\'s whole suite."""\n\n\ndef test_sums() -> None:\n    assert 1 + 1 == 2\n'
)
# The candidate's judge: every later decision, if this code judged it, would be a rejection.
CANDIDATE_JUDGE = '''

_measured_decision = make_merge_decision


def make_merge_decision(*args: object, **kwargs: object) -> Decision:
    """The candidate's own decision: it refuses everything."""
    return Decision(accepted=False, reasons=["judged by the candidate's code"])
'''
# The config loader, from a module every judge command imports: the threshold is the model's.
LOOSE_LOADER = """

_load = load_settings


def load_settings(*args: Any, **kwargs: Any) -> Settings:
    \"\"\"The candidate's loader: it picks its own merge threshold.\"\"\"
    settings = _load(*args, **kwargs)
    agent = settings.agent.model_copy(update={"benchmark_threshold": 5.0})
    return settings.model_copy(update={"agent": agent})
"""


def trimmed_agent(path: Path) -> Path:
    """A copy of the running agent (its whole src/, main.py, config) with a one-test suite."""
    root = running_root()
    path.mkdir(parents=True)
    shutil.copytree(root / "src", path / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(root / "config", path / "config")
    for name in ("main.py", "pyproject.toml", ".gitignore"):
        shutil.copy2(root / name, path / name)
    (path / "tests").mkdir()
    (path / "tests" / "test_tiny.py").write_text(TINY_TEST, encoding="utf-8")
    (path / "config" / "benchmarks.json").write_text(json.dumps(FAST_BENCHMARKS), "utf-8")
    config = path / "config" / "agent.toml"
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    data["agent"].update(provider="mock", auto_merge=True, benchmark_threshold=-1.0)
    # Measured with the agent's own interpreter: building an environment needs the index.
    data.setdefault("benchmarks", {})["python"] = sys.executable
    data.setdefault("safety", {})["smoke_commands"] = []
    # The self-hosting check's shared clone reads its objects from the copy's .git, which lies
    # under /tmp, and the sandbox empties /tmp: contained, its git sees no commits at all.
    data.setdefault("sandbox", {})["mode"] = "off"
    config.write_text(tomli_w.dumps(data), encoding="utf-8")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "trimmed agent"]):
        git(path, *args)
    return path


def agent(repo: Path, tmp_path: Path, script: dict[str, Any] | None, *args: str) -> Any:
    """`python main.py ARGS` of the copy's checkout, as a person would start it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "ANTHROPIC_"))}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    if script is not None:
        env["AGENT_MOCK_SCRIPT"] = str(write_script(tmp_path / f"{repo.name}.json", script))
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def report(repo: Path, number: int) -> dict[str, Any]:
    """reports/gen-N.json of the copy."""
    data: dict[str, Any] = json.loads((repo / f"reports/gen-{number}.json").read_text("utf-8"))
    return data


def note(name: str) -> Change:
    """A harmless new module every judge accepts."""
    return Change(file=f"src/{name}.py", content=f'"""{name}: a note."""\n')


def judge_change() -> str:
    """The Builder's reply that changes the judge: the decision and the config loader."""
    src = running_root() / "src"
    decision = (src / "gates" / "decision.py").read_text(encoding="utf-8") + CANDIDATE_JUDGE
    loader = (src / "base" / "config_load.py").read_text(encoding="utf-8") + LOOSE_LOADER
    return build(
        Change(file="src/gates/decision.py", content=decision),
        Change(file="src/base/config_load.py", content=loader),
    )


def one_generation(title: str, name: str) -> tuple[str, str, str]:
    """Architect, Builder and Reviewer replies of a generation writing one harmless module."""
    return plan([f"src/{name}.py"], title), build(note(name)), review()


@pytest.mark.slow
def test_merged_judge_code_judges_nothing_until_a_person_promotes_it(tmp_path: Path) -> None:
    """Gen 1 rewrites the judge and merges; gen 2 is judged as in a run without gen 1."""
    repo = trimmed_agent(tmp_path / "agent")
    start = git(repo, "rev-parse", "main").strip()
    changed = ["src/gates/decision.py", "src/base/config_load.py"]
    second = one_generation("Add a note", "note_a")
    script = {
        "architect": [plan(changed, "Rewrite the judge"), second[0]],
        "builder": [judge_change(), second[1]],
        "reviewer": [review(), second[2]],
    }
    done = agent(repo, tmp_path, script, "loop", "--repo", str(repo), "--max-gen", "2")
    assert done.returncode == 0, done.stderr
    first, judged = report(repo, 1), report(repo, 2)
    assert first["status"] == "accepted", first["errors"]
    assert git(repo, "rev-parse", PIN_REF).strip() == start
    assert judged["status"] == "accepted", judged["reason"]
    assert judged["reproducibility"]["judge_commit"] == start
    assert judged["reproducibility"]["judge_files_ahead"] == sorted(changed)

    control = trimmed_agent(tmp_path / "control")
    alone = {"architect": [second[0]], "builder": [second[1]], "reviewer": [second[2]]}
    assert agent(control, tmp_path, alone, "run", "--repo", str(control)).returncode == 0
    assert judged["decision"] == report(control, 1)["decision"]
    assert "> -1.0000" in json.dumps(judged["decision"])

    shown = agent(repo, tmp_path, None, "judge", "show", "--repo", str(repo))
    assert f"judge pinned at {start[:10]}" in shown.stdout
    assert all(f"  {name}" in shown.stdout for name in changed)
    status = agent(repo, tmp_path, None, "status", "--repo", str(repo))
    assert "main is ahead of the pinned judge" in status.stdout

    refused = agent(repo, tmp_path, None, "judge", "promote", "--repo", str(repo))
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: promoting the judge needs a person")
    assert git(repo, "rev-parse", PIN_REF).strip() == start

    promoted = agent(repo, tmp_path, None, "judge", "promote", "--yes", "--repo", str(repo))
    assert promoted.returncode == 0, promoted.stderr
    main = git(repo, "rev-parse", "main").strip()
    assert git(repo, "rev-parse", PIN_REF).strip() == main
    third = one_generation("Add another note", "note_b")
    after = {"architect": [third[0]], "builder": [third[1]], "reviewer": [third[2]]}
    assert agent(repo, tmp_path, after, "run", "--repo", str(repo)).returncode == 0
    last = report(repo, 3)
    assert last["reproducibility"]["judge_commit"] == main
    assert last["decision"]["reasons"] == ["judged by the candidate's code"]


@pytest.mark.slow
def test_a_pin_whose_dependencies_are_not_installed_is_refused(tmp_path: Path) -> None:
    """The pinned judge declares a package this interpreter lacks: one sentence, no generation."""
    repo = trimmed_agent(tmp_path / "agent")
    pyproject = repo / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        text.replace("dependencies = [\n", 'dependencies = [\n    "no-such-dist-xq>=1",\n', 1),
        "utf-8",
    )
    git(repo, "commit", "-qam", "a dependency nobody installed")
    done = agent(repo, tmp_path, None, "run", "--repo", str(repo))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs no-such-dist-xq>=1, but it is not installed" in lines[0]
    assert not (repo / "reports" / "gen-1.json").exists()
