"""Host unix sockets in any tree a sandbox shows are masked: connect is refused inside."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from self_improving_agent.sandbox import namespaces, sockets
from self_improving_agent.sandbox.proc import run_tool, sandbox_env
from self_improving_agent.sandbox.sandbox import SandboxMode, sandbox_for
from tests.sandbox.sandbox_kit import mechanism_params

MODES = [pytest.param("off", id="off"), *mechanism_params()]
CONNECT = """
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
try:
    s.connect(sys.argv[1])
    s.sendall(b"escaped")
    print("connected")
except OSError as exc:
    print("refused", exc.errno)
"""


@pytest.fixture
def shown_dir() -> Iterator[Path]:
    """A folder outside the hidden ones (not /tmp, not home), removed afterwards."""
    where = Path("/var/tmp") / f"agent-sock-{uuid.uuid4().hex}"
    where.mkdir()
    try:
        yield where
    finally:
        shutil.rmtree(where, ignore_errors=True)


def test_the_kernel_table_is_read_for_absolute_paths_only() -> None:
    table = (
        "Num       RefCount Protocol Flags    Type St Inode Path\n"
        "0000: 00000002 00000000 00010000 0001 01 101 /run/a.sock\n"
        "0000: 00000002 00000000 00010000 0001 01 102 @abstract\n"
        "0000: 00000002 00000000 00000000 0001 03 103\n"
        "0000: 00000002 00000000 00010000 0001 01 104 relative.sock\n"
        "0000: 00000002 00000000 00010000 0001 01 105 /var/with space.sock\n"
    )
    assert sockets.listed(table) == ["/run/a.sock", "/var/with space.sock"]


def test_only_sockets_in_a_shown_tree_and_not_under_a_hidden_one_are_masked() -> None:
    found = [Path("/usr/x.sock"), Path("/tmp/y.sock"), Path("/root/venv/z.sock"), Path("/o.sock")]
    shown = [Path("/usr"), Path("/root/venv")]
    hidden = [Path("/tmp"), Path("/root")]
    assert sockets.visible(found, shown, hidden) == [Path("/root/venv/z.sock"), Path("/usr/x.sock")]


@pytest.mark.parametrize("mode", MODES)
def test_a_host_socket_in_a_readable_tree_is_refused(
    tmp_path: Path, shown_dir: Path, mode: SandboxMode
) -> None:
    path = shown_dir / "host.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        os.chmod(path, 0o777)
        server.listen(1)
        assert path in sockets.bound_sockets()
        spec = sandbox_for(mode, tmp_path / "scratch", readable=[shown_dir])
        cmd = [sys.executable, "-c", CONNECT, str(path)]
        run = run_tool(cmd, tmp_path, sandbox_env({}), 60, sandbox=spec)
        assert run.returncode == 0, run.tail()
        if mode == "off":
            # The control: without a sandbox the host's socket answers.
            assert run.stdout.split() == ["connected"]
        elif mode == "bwrap" or namespaces.available():
            assert run.stdout.split()[0] == "refused", run.stdout
        else:
            pytest.skip("non-root Landlock has no mount namespace to mask sockets in (reported)")
