"""Size limits that keep every step's time and memory proportional to what it is given."""

import re

# Files above this size are left out of measuring and the repo map, and no edit may write one:
# parsing a 50 MB module costs tens of GB of memory.
MAX_FILE_BYTES = 2 * 1024 * 1024

# A build may edit one file this many times; each edit re-reads and re-checks the whole file.
MAX_EDITS_PER_FILE = 50

# JSON deeper than this is refused before it is decoded: a reply needs three or four levels,
# and decoding thousands ends in a RecursionError.
MAX_JSON_DEPTH = 64

# One JSON string (unterminated: to the end) or one bracket; possessive, so one linear pass.
_JSON_TOKEN = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"?|[\[\]{}]', re.DOTALL)


def json_depth(text: str) -> int:
    """The deepest nesting of brackets in JSON text, strings skipped, in one linear pass."""
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(text):
        char = match.group()[0]
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def json_depth_problem(text: str) -> str | None:
    """Why JSON text is refused for its nesting, or None when it is within MAX_JSON_DEPTH."""
    depth = json_depth(text)
    if depth <= MAX_JSON_DEPTH:
        return None
    return f"it is nested {depth} levels deep; the limit is {MAX_JSON_DEPTH}"


# Processes and threads one sandboxed run may hold at once (a cgroup's pids.max): far above a
# parallel test suite's need, far below what starves the machine.
MAX_PROCESSES = 1024

# No file a tool run writes may grow past this (RLIMIT_FSIZE): a disk-filling loop ends there.
MAX_WRITTEN_FILE_BYTES = 1024 * 1024 * 1024

# Disk one sandboxed run may fill in its writable trees (the measured copy, scratch, caches):
# past it a watchdog kills the run and the measurement is an error.
MAX_RUN_DISK_BYTES = 2 * 1024 * 1024 * 1024

# The memory (a cgroup's limit) of a sandboxed run that was given no limits of its own, such as
# a build backend or the self-hosting check: the benchmarks' default.
DEFAULT_RUN_MEMORY_MB = 4096
