"""Python files above the size limit cost the benchmarks and fixers nothing: no tool reads them."""

from __future__ import annotations

from pathlib import Path

from self_improving_agent.base.limits import MAX_FILE_BYTES
from self_improving_agent.benchmarks import code_coverage, lint_score, type_check
from self_improving_agent.benchmarks.pytest_run import run_pytest
from self_improving_agent.mind.fixers import python_files, ruff_fixable
from tests.benchmarks.conftest import context
from tests.conftest import make_repo

# A type error, an unused import and an unexecuted line: each tool would count one if it read it.
HUGE_HEAD = 'import os\n\nwrong: int = "text"\n'

TEST_OK = "from pkg.ok import one\n\n\ndef test_one():\n    assert one() == 1\n"


def _huge_module() -> str:
    """HUGE_HEAD padded with assignments to just over the size limit."""
    lines = [HUGE_HEAD]
    size, n = len(HUGE_HEAD), 0
    while size <= MAX_FILE_BYTES:
        line = f"value_{n} = {n}\n"
        lines.append(line)
        size, n = size + len(line), n + 1
    return "".join(lines)


def test_a_file_above_the_limit_is_left_out_of_every_tool(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "pkg/__init__.py": '"""P."""\n',
            "pkg/ok.py": '"""Ok."""\n\n\ndef one() -> int:\n    return 1\n',
            "pkg/huge[1].py": _huge_module(),
            "tests/test_ok.py": TEST_OK,
        },
    )
    ctx = context(repo, tmp_path / "scratch")
    assert ctx.tree.oversized == ["pkg/huge[1].py"]
    assert "pkg/huge[1].py" not in python_files(repo)
    assert ruff_fixable(repo) == {}
    linted = lint_score.run(ctx, 120)
    assert (linted.status, linted.raw["violations"]) == ("ok", 0)
    typed = type_check.run(ctx, 120)
    assert (typed.status, typed.raw["errors"]) == ("ok", 0)
    covered = code_coverage.measure(run_pytest(ctx, 120))
    assert (covered.status, covered.score) == ("ok", 1.0)
