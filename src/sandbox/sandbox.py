"""Which sandbox contains the target's code here, what it restricts, and how a command enters it."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from self_improving_agent.base.cleanup import scratch_dir
from self_improving_agent.base.errors import AgentError
from self_improving_agent.base.limits import MAX_PROCESSES
from self_improving_agent.sandbox import bwrap, cgroups, landlock, namespaces, seccomp, sockets

SandboxMode = Literal["auto", "bwrap", "landlock", "off"]
# "none" is auto finding nothing; "off" was asked for.
Mechanism = Literal["bwrap", "landlock", "off", "none"]
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_CAPBSET_DROP = 1, 4, 24
_LAST_CAP = 63
# CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, as bwrap keeps them: test suites run as root expect
# them, and Landlock still refuses whatever it was not granted.
_KEPT_CAPS = (0, 1, 3)
_libc = ctypes.CDLL(None, use_errno=True)
_UNCONTAINED = "nothing: the target's code runs with the user's full rights and network"


class SandboxError(AgentError):
    """The sandbox mode asked for cannot run on this machine."""


class SandboxRecord(BaseModel):
    """The sandbox a run used and what it did and did not restrict, for reports."""

    mode: SandboxMode
    mechanism: Mechanism
    restricts: list[str]
    not_covered: list[str]


def unavailable(mechanism: Literal["bwrap", "landlock"]) -> str | None:
    """Why mechanism cannot run here, or None when it can."""
    if mechanism == "bwrap":
        return bwrap.probe()
    abi = landlock.abi_version()
    return None if abi > 0 else "Landlock is not enabled in this kernel (needs Linux 5.13+)"


def choose(mode: SandboxMode) -> Mechanism:
    """The mechanism for mode: auto takes the strongest available; an explicit one must exist."""
    if mode == "off":
        return "off"
    if mode != "auto":
        reason = unavailable(mode)
        if reason is not None:
            raise SandboxError(
                f'[sandbox] mode = "{mode}" is not available here: {reason}; '
                'install it or use mode "auto"'
            )
        return mode
    for candidate in ("bwrap", "landlock"):
        if unavailable(candidate) is None:
            return candidate
    _warn_uncontained()
    return "none"


@functools.cache
def _warn_uncontained() -> None:
    """One loud line per process: auto found no sandbox at all."""
    sys.stderr.write(
        "WARNING: no sandbox available (bwrap missing or refused, no Landlock): the target's "
        "code runs UNCONTAINED with your rights and network; install bubblewrap, "
        'or set [sandbox] mode = "off" to accept this\n'
    )


def record(mode: SandboxMode) -> SandboxRecord:
    """What running under mode here restricts and leaves open."""
    mechanism = choose(mode)
    bounded, unbounded = _bounds()
    if mechanism == "bwrap":
        return SandboxRecord(
            mode=mode,
            mechanism=mechanism,
            restricts=[*bwrap.RESTRICTS, *bounded],
            not_covered=unbounded,
        )
    if mechanism == "landlock":
        covered = landlock.coverage(landlock.abi_version(), namespaces.available())
        return SandboxRecord(
            mode=mode,
            mechanism=mechanism,
            restricts=[f"Landlock ABI {covered.abi}", *covered.restricts, *bounded],
            not_covered=[*covered.not_covered, *unbounded],
        )
    return SandboxRecord(mode=mode, mechanism=mechanism, restricts=[], not_covered=[_UNCONTAINED])


def _bounds() -> tuple[list[str], list[str]]:
    """What both mechanisms add here, keyring and cgroup: (restricts, not covered)."""
    restricts, missing = [], []
    if seccomp.supported():
        restricts.append(
            "an empty session keyring; add_key, request_key and keyctl are denied (seccomp)"
        )
    else:
        missing.append("the kernel keyring: no seccomp filter for this architecture")
    if cgroups.layout() is not None:
        restricts.append(
            f"at most {MAX_PROCESSES} processes and the memory limit for the whole run (a "
            "cgroup, which holds for root too); reaching either makes the measurement an error"
        )
    else:
        missing.append(
            "no process limit for root and memory bounded per process only: this machine "
            "offers no writable pids and memory cgroup"
        )
    return restricts, missing


@dataclass(frozen=True)
class SandboxSpec:
    """How one run is contained: the mechanism, its private scratch and what it may write."""

    mechanism: Mechanism
    scratch: Path
    writable: tuple[Path, ...] = ()
    readable: tuple[Path, ...] = ()


def sandbox_for(
    mode: SandboxMode, scratch: Path, writable: Iterable[Path] = (), readable: Iterable[Path] = ()
) -> SandboxSpec:
    """A spec writing only to writable and scratch, reading back readable where hidden."""
    return SandboxSpec(
        choose(mode),
        scratch.resolve(),
        tuple(p.resolve() for p in writable),
        tuple(p.resolve() for p in readable),
    )


@contextlib.contextmanager
def contained(mode: SandboxMode, writable: Iterable[Path] = ()) -> Iterator[SandboxSpec]:
    """A spec with its own private scratch, deleted when the block ends."""
    with scratch_dir("agent-sandbox-") as scratch:
        yield sandbox_for(mode, Path(scratch), writable)


@dataclass
class Launch:
    """A command ready for Popen: its argv, env and what the child does before exec."""

    argv: list[str]
    env: dict[str, str]
    child_setup: list[Callable[[], None]] = field(default_factory=list)
    fds: list[int] = field(default_factory=list)
    # The fds among fds the child's exec'd program reads (bwrap's seccomp program).
    pass_fds: list[int] = field(default_factory=list)

    def close(self) -> None:
        """Release what the parent held only for the child (Landlock's ruleset, seccomp)."""
        for fd in self.fds:
            os.close(fd)
        self.fds.clear()
        self.pass_fds.clear()


def _die_with_parent(parent: int) -> Callable[[], None]:
    """Child setup: SIGKILL when the agent dies, also if it died before the call."""

    def apply() -> None:
        """Runs between fork and exec."""
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return apply


def _drop_capabilities() -> None:
    """Child setup for root: the bounding set keeps only root's power over file permissions."""
    for cap in range(_LAST_CAP + 1):
        if cap in _KEPT_CAPS:
            continue
        # Numbers past the kernel's last capability fail with EINVAL, which is fine.
        _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)


def harden_agent() -> None:
    """Mark the agent non-dumpable so no same-user process can read its /proc environ or memory."""
    _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)


def _hidden() -> list[Path]:
    """Existing directories a sandbox empties: home directories, the host's tmp and /run."""
    candidates = [Path("/home"), Path("/root"), Path.home(), Path("/tmp"), Path("/run")]
    candidates.append(Path(tempfile.gettempdir()))
    return sorted({p.resolve() for p in candidates if p.is_dir() and p.resolve() != Path("/")})


def _runtime(cmd: Sequence[str], cwd: Path) -> list[Path]:
    """What the run reads wherever it lives: interpreters, their prefixes, site-packages, cwd."""
    found = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), cwd]
    found += [Path(sys.executable).resolve().parent.parent]
    if cmd and os.path.isabs(cmd[0]):
        tool = Path(cmd[0])
        found += [tool.parent.parent, tool.resolve().parent.parent]
    # Only the package folders: the agent's script folder or a test runner's rootdir on
    # sys.path (a checkout with its .env) is nothing the run needs.
    entries = [Path(p) for p in sys.path if os.path.isabs(p) and p.endswith("site-packages")]
    found += entries
    # A site-packages reached through a .pth (an overlay over an environment) brings the rest
    # of its environment: the tools in its bin/ (ruff, uv) are found from there.
    found += [p.parents[2] for p in entries if len(p.parts) > 3]
    return sorted({p.resolve() for p in found if p.exists()})


def launch(
    spec: SandboxSpec | None, cmd: Sequence[str], cwd: Path, env: Mapping[str, str]
) -> Launch:
    """How to start cmd contained by spec; None (the agent's own tools) only ties it to us."""
    # bwrap gets it too: its own --die-with-parent only ties the sandbox to bwrap.
    run = Launch(list(cmd), dict(env), [_die_with_parent(os.getpid())])
    if spec is None:
        return run
    # A fake HOME and TMPDIR under every mode, "off" included: no run sees the user's own.
    home, tmp = spec.scratch / "home", spec.scratch / "tmp"
    for path in (home, tmp, *spec.writable):
        path.mkdir(parents=True, exist_ok=True)
    run.env.update(HOME=str(home), TMPDIR=str(tmp))
    if spec.mechanism in ("off", "none"):
        return run
    writable = [spec.scratch, *spec.writable]
    # Nothing read from the writable trees decides what is bound: their .git is the run's own.
    readable = [*_runtime(cmd, cwd), *spec.readable]
    hidden = _hidden()
    host_sockets = sockets.bound_sockets()
    keyring = [seccomp.fresh_session_keyring] if seccomp.supported() else []
    if spec.mechanism == "bwrap":
        binary = bwrap.bwrap_path() or "bwrap"
        fd = seccomp.program_fd(seccomp.keyring_filter()) if keyring else None
        if fd is not None:
            run.fds.append(fd)
            run.pass_fds.append(fd)
        run.child_setup += keyring
        run.argv = bwrap.wrap(
            binary,
            cmd,
            cwd,
            writable=writable,
            readable=readable,
            hidden=hidden,
            private=[home, tmp],
            masked=sockets.visible(host_sockets, bwrap.shown(readable, writable), hidden),
            seccomp_fd=fd,
        )
        return run
    isolated = namespaces.available()
    shm = [Path("/dev/shm")] if Path("/dev/shm").is_dir() else []
    # The same view as bwrap's binds; a run without its own /proc keeps the host's.
    proc = [] if isolated else [Path("/proc")]
    ruleset = landlock.build_ruleset(
        [*bwrap.shown(readable, writable), *proc],
        [*writable, *shm],
        [Path("/dev")],
        tcp=not isolated,
    )
    run.fds.append(ruleset)
    run.child_setup += keyring
    if isolated:

        def grant_new_mounts() -> None:
            """The private /proc and /dev/shm are new inodes: the ruleset learns them here."""
            landlock.grant(ruleset, Path("/proc"))
            landlock.grant(ruleset, Path("/dev/shm"), write=True)

        keep = [*readable, *writable]
        masked = sockets.visible(host_sockets, [Path("/"), *keep], hidden)
        # /etc as under bwrap: a tmpfs with only the files programs need bound back.
        etc = [Path("/etc", name) for name in bwrap.ETC]
        step = namespaces.isolate_step(
            [*hidden, Path("/etc")], [*keep, *etc], [home, tmp], grant_new_mounts, masked
        )
        run.child_setup.append(step)
    if os.geteuid() == 0:
        # Without CAP_SYS_PTRACE, root's children cannot read the non-dumpable agent's /proc.
        run.child_setup.append(_drop_capabilities)
    run.child_setup.append(lambda: landlock.enforce(ruleset))
    if keyring:
        program = seccomp.keyring_filter()
        run.child_setup.append(lambda: seccomp.install(program))
    return run
