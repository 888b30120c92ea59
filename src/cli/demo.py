"""`agent demo`: a sample repository with known, fixable problems, evolved offline."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from self_improving_agent.base.config import Settings
from self_improving_agent.base.config_load import flag_overrides, load_settings
from self_improving_agent.base.errors import AgentError
from self_improving_agent.base.gitcmd import git
from self_improving_agent.base.store import Store
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.runner import run_benchmarks
from self_improving_agent.cli.run import RunRequest, start_run
from self_improving_agent.reports.dashboard import summarize
from self_improving_agent.reports.dashboard_text import render_dashboard
from self_improving_agent.reports.report_files import load_reports

Echo = Callable[[str], None]

DEMO_IDENTITY = {"user.name": "agent demo", "user.email": "demo@agent.invalid"}

SAMPLE_FILES = {
    "README.md": "# shop\n\nA tiny sample shop, evolved by `agent demo`.\n",
    "pyproject.toml": (
        '[project]\nname = "shop"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n\n'
        '[tool.ruff]\ntarget-version = "py311"\n\n'
        '[tool.ruff.lint]\nselect = ["E", "F", "I", "UP"]\n\n'
        "[tool.mypy]\nstrict = true\n\n"
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
    ),
    "shop/__init__.py": '"""A tiny shop."""\n',
    "shop/cart.py": (
        '"""A shopping cart of named, priced items."""\n\n'
        "import sys\nimport os\nfrom typing import List, Tuple\n\n\n"
        "class Cart:\n"
        '    """Items in the order they were added."""\n\n'
        "    def __init__(self):\n"
        "        self.items: List[Tuple[str, float]] = []\n\n"
        "    def add(self, name: str, price: float):\n"
        '        """Put one item in the cart."""\n'
        "        self.items.append((name, price))\n\n"
        "    def clear(self):\n"
        '        """Empty the cart."""\n'
        "        self.items.clear()\n\n"
        "    def total(self):\n"
        '        """The sum of the prices."""\n'
        "        return sum(price for _, price in self.items)\n"
    ),
    "shop/util/fmt.py": (
        '"""Formatting helpers."""\n\n'
        "import json\n\n\n"
        "def money(value: float) -> str:\n"
        '    """A price with two decimals."""\n'
        '    return f"{value:.2f}"\n\n\n'
        "def show(line: str):\n"
        '    """Print one line of a receipt."""\n'
        "    print(line)\n"
    ),
    "tests/__init__.py": "",
    "tests/test_cart.py": (
        '"""Tests of the cart and its formatting."""\n\n'
        "from shop.cart import Cart\nfrom shop.util.fmt import money\n\n\n"
        "def test_total() -> None:\n"
        "    cart = Cart()\n"
        '    cart.add("tea", 2.5)\n'
        '    cart.add("cake", 3.0)\n'
        "    assert cart.total() == 5.5\n\n\n"
        "def test_clear() -> None:\n"
        "    cart = Cart()\n"
        '    cart.add("tea", 2.5)\n'
        "    cart.clear()\n"
        "    assert cart.total() == 0\n\n\n"
        "def test_money() -> None:\n"
        '    assert money(3) == "3.00"\n\n\n'
        "def test_discount() -> None:\n"
        '    """Known to fail: discounts are not written yet; the agent must keep it."""\n'
        "    cart = Cart()\n"
        '    cart.add("tea", 10.0)\n'
        "    assert cart.total() == 9.0\n"
    ),
}


class DemoResult(BaseModel):
    """What the demo did: where, the totals before and after, and the loop's exit code."""

    path: str
    before: float
    after: float
    accepted: int
    generations: int
    exit_code: int


def _git(repo: Path, *args: str) -> None:
    """Run git in repo; a failure becomes one AgentError sentence."""
    proc = git(repo, *args)
    if proc.returncode != 0:
        raise AgentError(f"git {args[0]} failed in {repo}: {proc.stderr.strip()}")


def create_sample(path: Path) -> Path:
    """Write and commit the sample repository at path, which must be absent or empty."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise AgentError(f"{path} exists and is not an empty folder; pass --path to a new folder")
    path.mkdir(parents=True, exist_ok=True)
    for rel, text in SAMPLE_FILES.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    _git(path, "init", "-q", "-b", "main")
    # A fresh machine may have no git identity; the demo's commits and merges need one.
    for key, value in DEMO_IDENTITY.items():
        _git(path, "config", key, value)
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "sample repository with known, fixable problems")
    return path


def demo_settings(repo: Path) -> Settings:
    """The offline provider with auto-merge, measuring with the agent's own interpreter."""
    overrides = flag_overrides(provider="offline", auto_merge=True)
    # The sample declares nothing the agent lacks, so the demo needs no index and no build.
    overrides["benchmarks"] = {"python": sys.executable}
    return load_settings(repo, overrides=overrides)


def _total(repo: Path, settings: Settings) -> float:
    """The weighted benchmark total of the checkout, from the cache when unchanged."""
    with Store.for_repo(repo) as store:
        sections = MeasureSections(benchmarks=settings.benchmarks, sandbox=settings.sandbox)
        return run_benchmarks(repo, sections, store=store, use_cache=True).total


def run_demo(path: Path, max_generations: int, echo: Echo, progress: Echo) -> DemoResult:
    """Create the sample, evolve it offline for max_generations, return the totals."""
    repo = create_sample(path.resolve())
    settings = demo_settings(repo)
    echo(f"sample repository: {repo}")
    before = _total(repo, settings)
    request = RunRequest(max_generations=max_generations)
    code = start_run(repo, settings, request, echo, progress)
    after = _total(repo, settings)
    reports = load_reports(repo / settings.agent.reports_dir)
    data = summarize(reports)
    return DemoResult(
        path=str(repo),
        before=before,
        after=after,
        accepted=data.accepted,
        generations=len(reports),
        exit_code=code,
    )


def demo_text(result: DemoResult, use_color: bool) -> str:
    """The dashboard of the demo's generations and the total score before and after."""
    settings = demo_settings(Path(result.path))
    data = summarize(load_reports(Path(result.path) / settings.agent.reports_dir))
    lines = [
        render_dashboard(data, use_color),
        "",
        f"total score: {result.before:.4f} before -> {result.after:.4f} after "
        f"({result.after - result.before:+.4f}); {result.accepted} of {result.generations} "
        "generation(s) accepted",
        f"see one generation: agent report latest --repo {result.path}",
    ]
    return "\n".join(lines)
