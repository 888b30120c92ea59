"""Where the mind's view lives: a scratch folder a later start sweeps if this process is killed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from self_improving_agent.benchmarks.scratch import SCRATCH_PREFIX, sweep_scratch
from tests.loop_kit import sample_repo

KILLED = """
import os, sys
from pathlib import Path
from self_improving_agent.core.mind_start import mind_place
with mind_place(Path(sys.argv[1]), "HEAD", 1, [], None) as place:
    print(place.tree.parent, flush=True)
    os._exit(9)  # killed: no clean-up runs
"""


def test_a_killed_runs_mind_scratch_is_swept_by_the_next_start(tmp_path: Path) -> None:
    repo = sample_repo(tmp_path / "repo")
    child = subprocess.run(
        [sys.executable, "-c", KILLED, str(repo)], capture_output=True, text=True, check=False
    )
    assert child.returncode == 9, child.stderr
    left = Path(child.stdout.strip())
    assert left.name.startswith(SCRATCH_PREFIX) and left.is_dir()
    assert (left / "tree").is_dir()
    assert left in sweep_scratch() and not left.exists()
