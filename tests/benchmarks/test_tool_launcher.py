"""The launcher pins the tool and pytest to the environment without importing them early."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from self_improving_agent.benchmarks.context import launcher

REPORT = (
    "import json, sys\n"
    "early = 'pytest' in sys.modules or 'pluggy' in sys.modules\n"
    "import pytest\n"
    "print(json.dumps({'early': early, 'tool': __file__, 'pytest': pytest.__file__}))\n"
)


def test_the_tool_and_pytest_come_from_the_environment_and_load_only_when_the_tool_runs(
    tmp_path: Path,
) -> None:
    tools, tree, host = tmp_path / "env", tmp_path / "tree", tmp_path / "host"
    (tools / "probetool").mkdir(parents=True)
    (tools / "probetool" / "__init__.py").write_text("")
    (tools / "probetool" / "__main__.py").write_text(REPORT)
    for fake in ("probetool", "pytest"):
        (tree / fake).mkdir(parents=True)
        (tree / fake / "__init__.py").write_text("raise SystemExit('the tree answered')\n")
    (tree / "probetool" / "__main__.py").write_text("raise SystemExit('the tree answered')\n")
    host.mkdir()
    env = {**os.environ, "PYTHONPATH": str(tools)}
    done = subprocess.run(
        [sys.executable, str(launcher(host)), "probetool"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    # Coverage would start here: nothing pytest imports (pluggy, say) was loaded before.
    assert found["early"] is False
    assert Path(found["tool"]).parent.parent == tools
    assert not Path(found["pytest"]).is_relative_to(tree)
