"""Code in the measured tests that forges results after the session: the count stays honest.

The forger writes a junit file of 500 passing cases wherever one could be read, and a forged
outcome stream (500 passes and a clean end) into every file descriptor it holds, after pytest's
session finished: from an unconfigure hook, from atexit, from a thread that ends late, and from
an unconfigure hook that then leaves with os._exit(0).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from self_improving_agent.base.config import BenchmarksSection, SandboxSection
from self_improving_agent.benchmarks.context import MeasureSections
from self_improving_agent.benchmarks.runner import run_benchmarks
from tests.conftest import make_repo
from tests.sandbox.sandbox_kit import mechanism_params

pytestmark = pytest.mark.slow
MODES = [*mechanism_params(), pytest.param("off", id="off")]

FORGER = '''"""Forges every result a host could read, once the session is over."""
import atexit, glob, json, os, sys, threading

CASES = "".join(f'<testcase classname="t" name="t{i}" file="t.py"/>' for i in range(500))
JUNIT = f'<testsuites><testsuite name="pytest" tests="500">{CASES}</testsuite></testsuites>'
RECORDS = [{"id": f"t.py::t{i}", "when": "call", "outcome": "passed"} for i in range(500)]
STREAM = "".join(json.dumps(r) + "\\n" for r in [*RECORDS, {"end": 0}]).encode()
WAKE = threading.Event()


def forge():
    scratch = os.path.dirname(os.environ["TMPDIR"])
    found = glob.glob(scratch + "/**/*.xml", recursive=True)
    for path in [os.path.join(scratch, "junit.xml"), *found]:
        with open(path, "w") as handle:
            handle.write(JUNIT)
    for fd in range(3, 256):
        try:
            os.write(fd, STREAM)
        except OSError:
            pass


def late():
    WAKE.wait()
    forge()


threading.Thread(target=late).start()
atexit.register(forge)


def pytest_unconfigure(config):
    forge()
    WAKE.set()
    if os.environ.get("FORGE_EXIT"):
        os._exit(0)
'''


def repo_with_forger(root: Path, leave_at_once: bool) -> Path:
    """Two failing tests, one passing, and the forger as their conftest."""
    forger = FORGER.replace('os.environ.get("FORGE_EXIT")', str(leave_at_once))
    files = {
        "pkg/__init__.py": "X = 1\n",
        "tests/conftest.py": forger,
        "tests/test_x.py": (
            "import pkg\n\n\ndef test_ok():\n    assert pkg.X == 1\n\n\n"
            "def test_bad():\n    assert pkg.X == 2\n\n\ndef test_worse():\n    assert pkg.X == 3\n"
        ),
    }
    return make_repo(root, files)


@pytest.mark.parametrize("leave_at_once", [False, True], ids=["late", "os_exit"])
@pytest.mark.parametrize("mode", MODES)
def test_results_forged_after_the_session_do_not_raise_the_pass_rate(
    tmp_path: Path, mode: str, leave_at_once: bool
) -> None:
    sections = MeasureSections(
        benchmarks=BenchmarksSection(python=sys.executable),
        sandbox=SandboxSection(mode=mode),  # type: ignore[arg-type]
    )
    repo = repo_with_forger(tmp_path / "repo", leave_at_once)
    suite = run_benchmarks(repo, sections, only=["test_pass_rate"], use_cache=False)
    result = suite.results[0]
    assert (result.raw["passed"], result.raw["failed"], result.raw["total"]) == (1, 2, 3)
    assert result.score == pytest.approx(1 / 3)


DUPLICATOR = '''"""Keeps a copy of the outcome pipe from import time, forges through it at exit."""
import atexit, json, os

COPIES = []
for name, value in os.environ.items():
    if value.isdigit():
        try:
            COPIES.append(os.dup(int(value)))
        except OSError:
            pass
PASSED, END = {"id": "t.py::t0", "when": "call", "outcome": "passed"}, {"end": 0}


def forge():
    for fd in COPIES:
        try:
            os.write(fd, "".join(json.dumps(r) + "\\n" for r in (PASSED, END)).encode())
        except OSError:
            pass


atexit.register(forge)
'''


@pytest.mark.parametrize("mode", MODES)
def test_a_copy_of_the_pipe_written_after_the_session_fails_closed(
    tmp_path: Path, mode: str
) -> None:
    """A conftest may copy the pipe before pytest hands it over; writing after the end is seen."""
    sections = MeasureSections(
        benchmarks=BenchmarksSection(python=sys.executable),
        sandbox=SandboxSection(mode=mode),  # type: ignore[arg-type]
    )
    files = {
        "pkg/__init__.py": "",
        "tests/conftest.py": DUPLICATOR,
        "tests/test_x.py": "def test_bad():\n    assert False\n",
    }
    repo = make_repo(tmp_path / "repo", files)
    result = run_benchmarks(repo, sections, only=["test_pass_rate"], use_cache=False).results[0]
    assert result.status == "error"
    assert "after the session ended" in result.raw["containment_finding"]
