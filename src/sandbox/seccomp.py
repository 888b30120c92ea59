"""The kernel keyring shut off: a fresh session keyring and a seccomp filter denying its calls."""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import struct

# AUDIT_ARCH_* and the (add_key, request_key, keyctl) numbers of every ABI a machine can run.
_KEY_CALLS = {
    "x86_64": {0xC000003E: (248, 249, 250), 0x40000003: (286, 287, 288)},
    "aarch64": {0xC00000B7: (217, 218, 219), 0x40000028: (309, 310, 311)},
}
_X32_BIT = 0x40000000
_X86_64 = 0xC000003E
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_ARCH_OFFSET, _NR_OFFSET = 4, 0
_ALLOW, _ERRNO, _EPERM = 0x7FFF0000, 0x00050000, 1
_KILL_PROCESS = 0x80000000
_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 22, 2
_KEYCTL_JOIN_SESSION_KEYRING = 1
_KEYCTL = {"x86_64": 250, "aarch64": 219}

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _Fprog(ctypes.Structure):
    """struct sock_fprog: the program's length and its instructions."""

    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    """One classic BPF instruction, struct sock_filter in native byte order."""
    return struct.pack("=HBBI", code, jt, jf, k)


def supported() -> bool:
    """Whether this architecture's syscall numbers are known here."""
    return platform.machine() in _KEY_CALLS


@functools.cache
def keyring_filter() -> bytes:
    """A program answering EPERM to add_key, request_key and keyctl, in every ABI of the arch.

    An ABI not listed (x32, or a foreign one) is killed: its numbers differ and are unchecked.
    """
    body: list[bytes] = []
    for arch, numbers in _KEY_CALLS[platform.machine()].items():
        count = len(numbers)
        block = [_op(_LD_W_ABS, _NR_OFFSET)]
        if arch == _X86_64:
            # x32 calls carry this bit; past the checks, the allow and EPERM lies the kill.
            block.append(_op(_JGE_K, _X32_BIT, jt=count + 2))
        # A match jumps past the remaining checks and the allow, onto EPERM.
        block += [_op(_JEQ_K, number, jt=count - i) for i, number in enumerate(numbers)]
        block += [_op(_RET_K, _ALLOW), _op(_RET_K, _ERRNO | _EPERM)]
        if arch == _X86_64:
            block.append(_op(_RET_K, _KILL_PROCESS))
        # A different arch skips the whole block.
        body += [_op(_LD_W_ABS, _ARCH_OFFSET), _op(_JEQ_K, arch, jf=len(block)), *block]
    return b"".join([*body, _op(_RET_K, _KILL_PROCESS)])


def install(program: bytes) -> None:
    """In the child before exec: load program for this process and every descendant."""
    prog = _Fprog(len(program) // 8, program)
    if _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        os.write(2, b"sandbox: the seccomp filter could not be loaded\n")
        os._exit(126)


def fresh_session_keyring() -> None:
    """In the child before exec: join a new anonymous session keyring, so @s holds nothing.

    Failure is fine: an outer sandbox's filter (a nested run) already refuses keyctl, and the
    filter this run installs next refuses every keyring call anyway.
    """
    number = _KEYCTL.get(platform.machine())
    if number is not None:
        _libc.syscall(number, _KEYCTL_JOIN_SESSION_KEYRING, None)


def program_fd(program: bytes) -> int:
    """A memfd holding program from its start, for bwrap's --seccomp; the caller closes it."""
    fd = os.memfd_create("agent-seccomp", 0)
    os.write(fd, program)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
