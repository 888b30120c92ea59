"""A tool's output is read with a host-side cap: bounded memory, a clean end, never a hang."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from self_improving_agent.sandbox.capture import HEAD_BYTES, MIB, TAIL_BYTES, drain
from self_improving_agent.sandbox.proc import run_tool

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def _popen(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _killer(proc: subprocess.Popen[bytes]) -> Callable[[], None]:
    def kill() -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    return kill


def test_a_flood_keeps_head_and_tail_and_counts_the_rest(tmp_path: Path) -> None:
    # 40 MiB on each stream, far more than the cap, with a marker at each end.
    code = (
        "import os\n"
        "for fd in (1, 2):\n"
        "    os.write(fd, b'FIRST')\n"
        "    for _ in range(40):\n"
        "        os.write(fd, b'F' * (1 << 20))\n"
        "    os.write(fd, b'LAST')\n"
    )
    run = run_tool([sys.executable, "-c", code], tmp_path, ENV, 120)
    assert run.returncode == 0
    assert run.exhausted is None
    for text in (run.stdout, run.stderr):
        assert text.startswith("FIRST")
        assert text.endswith("LAST")
        assert len(text) < HEAD_BYTES + TAIL_BYTES + 100
        omitted = 40 * MIB + 9 - HEAD_BYTES - TAIL_BYTES
        assert f"[... {omitted} bytes of output omitted ...]" in text


def test_a_writer_that_never_stops_is_killed_at_the_ceiling() -> None:
    proc = _popen("import os\nwhile True:\n    os.write(1, b'x' * 65536)\n")
    done = drain(proc, 600, _killer(proc), ceiling=4 * MIB)
    assert done.overflowed
    assert not done.timed_out
    assert proc.returncode == -signal.SIGKILL
    assert len(done.stdout) <= HEAD_BYTES + TAIL_BYTES


def test_output_past_the_ceiling_makes_the_run_an_error(tmp_path: Path) -> None:
    code = "import os\nwhile True:\n    os.write(2, b'e' * 65536)\n"
    run = run_tool([sys.executable, "-c", code], tmp_path, ENV, 600)
    assert run.exhausted == "output exceeded 256 MiB on stdout and stderr; the tool was killed"
    assert not run.timed_out


def test_a_straggler_holding_the_pipes_does_not_keep_the_agent_waiting() -> None:
    # The tool leaves a child in a session of its own that keeps stdout open and sleeps.
    code = (
        "import subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'],"
        " start_new_session=True)\n"
        "print(child.pid, flush=True)\n"
    )
    proc = _popen(code)
    done = drain(proc, 600, _killer(proc))
    straggler = int(done.stdout.split()[0])
    try:
        assert proc.returncode == 0
        assert not done.timed_out
        assert not done.overflowed
    finally:
        os.kill(straggler, signal.SIGKILL)


def test_a_tool_that_closes_its_pipes_still_times_out() -> None:
    proc = _popen("import os, time\nos.close(1)\nos.close(2)\ntime.sleep(600)\n")
    done = drain(proc, 1, _killer(proc))
    assert done.timed_out
    assert proc.returncode == -signal.SIGKILL


def test_a_report_channel_arrives_whole_and_is_capped(tmp_path: Path) -> None:
    """What the tool writes to the fd named in the variable comes back; past 64 MiB it is killed."""
    write = "import os\nos.write(int(os.environ['OUT']), b'{}\\n')\n"
    run = run_tool([sys.executable, "-c", write], tmp_path, ENV, 60, channel="OUT")
    assert (run.returncode, run.reported) == (0, b"{}\n")
    flood = "import os\nfd = int(os.environ['OUT'])\nwhile True:\n    os.write(fd, b'x' * 65536)\n"
    run = run_tool([sys.executable, "-c", flood], tmp_path, ENV, 600, channel="OUT")
    assert run.exhausted == "the report channel carried over 64 MiB"
    assert run.reported is not None and len(run.reported) <= 65 * MIB
