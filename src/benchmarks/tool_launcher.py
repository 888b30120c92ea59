"""Started by the host as `python <this file> MODULE ARGS...` in place of `python -m MODULE`.

This file runs inside the measured interpreter, so it imports nothing of the agent. Started as
a script, Python puts this file's folder first on sys.path, not the measured tree: the tool (and
pytest, which coverage runs) is imported from the environment before the tree goes first, as
`python -m` would put it, so a `coverage/` or `pytest/` package in the tree cannot stand in for
the tool. A module the tool imports later can still come from the tree: that is code running in
the measured process, like a conftest.
"""

import contextlib
import os
import runpy
import sys


def main() -> None:
    """Import the tool from the environment, put the working folder first, run the tool."""
    module = sys.argv[1]
    for name in (module, "pytest"):
        with contextlib.suppress(ImportError):
            __import__(name)
    sys.path[0] = os.getcwd()
    del sys.argv[0]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
