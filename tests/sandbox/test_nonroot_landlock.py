"""Without root, a Landlock run gets its own namespaces through an unprivileged user namespace."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import self_improving_agent
from self_improving_agent.base.cleanup import scratch_dir

# Run as nobody: a Landlock run's view of PIDs, its uid, and a host socket in a readable tree.
AS_NOBODY = r"""
import json, os, socket, sys, tempfile
from pathlib import Path
from self_improving_agent.sandbox import namespaces
from self_improving_agent.sandbox.proc import run_tool, sandbox_env
from self_improving_agent.sandbox.sandbox import sandbox_for
INSIDE = '''
import json, os, socket, sys
seen = {"pid": os.getpid(), "procs": len([p for p in os.listdir("/proc") if p.isdigit()])}
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
    seen["socket"] = "connected"
except OSError:
    seen["socket"] = "refused"
open("written", "w").close()
print(json.dumps(seen))
'''
shown = Path(tempfile.mkdtemp(dir="/var/tmp"))
work = Path(tempfile.mkdtemp())
path = shown / "host.sock"
server = socket.socket(socket.AF_UNIX)
server.bind(str(path))
server.listen(1)
os.chmod(path, 0o777)
try:
    spec = sandbox_for("landlock", work / "scratch", [work / "tree"], readable=[shown])
    (work / "tree").mkdir()
    run = run_tool([sys.executable, "-c", INSIDE, str(path)], work / "tree", sandbox_env({}), 120,
                   sandbox=spec)
    seen = json.loads(run.stdout) if run.returncode == 0 else {"error": run.tail()}
    seen["available"] = namespaces.available()
    seen["owner"] = os.stat(work / "tree" / "written").st_uid if run.returncode == 0 else None
    print(json.dumps(seen))
finally:
    server.close()
    path.unlink()
    shown.rmdir()
"""


def test_landlock_as_nobody_runs_in_its_own_namespaces() -> None:
    python, setpriv = shutil.which("python3", path="/usr/bin:/bin"), shutil.which("setpriv")
    if os.geteuid() != 0 or python is None or setpriv is None:
        pytest.skip("needs root (to become nobody), setpriv and a system python3")
    unshare = shutil.which("unshare")
    nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    allowed = unshare and subprocess.run([*nobody, unshare, "-U", "true"], check=False).returncode
    if not unshare or allowed != 0:
        pytest.skip("this kernel refuses unprivileged user namespaces (reported as not covered)")
    with scratch_dir("agent-nobody-lib-") as where:
        seen = _run_as_nobody(Path(where), python, setpriv)
    assert seen == {"pid": 1, "procs": 1, "socket": "refused", "available": True, "owner": 65534}


def _run_as_nobody(lib: Path, python: str, setpriv: str) -> dict[str, object]:
    """AS_NOBODY's findings, the package importable from lib by the system python."""
    lib.chmod(0o755)
    (lib / "self_improving_agent").symlink_to(Path(self_improving_agent.__file__).parent)
    cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", python]
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/nonexistent",
        "PYTHONPATH": f"{lib}:{sysconfig.get_paths()['purelib']}",
    }
    same = f"import sys; sys.exit(sys.version_info[:2] != {tuple(sys.version_info[:2])})"
    check = [*cmd, "-c", f"{same}; import self_improving_agent.sandbox.sandbox"]
    if subprocess.run(check, env=env, capture_output=True, check=False, cwd="/").returncode:
        pytest.skip("the package cannot be imported as nobody with the system python3 here")
    done = subprocess.run(
        [*cmd, "-c", AS_NOBODY], env=env, capture_output=True, text=True, check=False, cwd="/"
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, object] = json.loads(done.stdout)
    return found
