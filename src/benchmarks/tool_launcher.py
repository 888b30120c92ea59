"""Started by the host as `python <this file> MODULE ARGS...` in place of `python -m MODULE`.

This file runs inside the measured interpreter, so it imports nothing of the agent. Started as
a script, Python puts this file's folder first on sys.path, not the measured tree. Before the
tree goes first (as `python -m` would put it), the tool's and pytest's top-level packages are
located in the environment, and a finder placed ahead of every other answers those names from
there: a `coverage/` or `pytest/` package in the tree cannot stand in for the tool. Nothing is
imported early, so coverage still starts before pytest imports anything (pluggy, say) the
project may be. A module the tool imports later can still come from the tree: that is code
running in the measured process, like a conftest.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

# pytest's own top-level names (py is its shim of the old py library).
_PYTEST = ("pytest", "_pytest", "py")


class FromEnvironment(importlib.abc.MetaPathFinder):
    """Answers the named top-level modules from the folders they were found in, never the tree."""

    def __init__(self, names: Sequence[str]) -> None:
        """Locate each name on the current sys.path, which does not hold the tree yet."""
        self.homes: dict[str, str] = {}
        for name in names:
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec is not None else None
            if spec is not None and origin and spec.submodule_search_locations is not None:
                self.homes[name] = os.path.dirname(os.path.dirname(origin))
            elif spec is not None and origin:
                self.homes[name] = os.path.dirname(origin)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        """The environment's spec of a named top-level module; None for everything else."""
        home = self.homes.get(fullname) if path is None else None
        return None if home is None else importlib.machinery.PathFinder.find_spec(fullname, [home])


def main() -> None:
    """Pin the tool's modules to the environment, put the working folder first, run the tool."""
    module = sys.argv[1]
    sys.meta_path.insert(0, FromEnvironment([module.partition(".")[0], *_PYTEST]))
    sys.path[0] = os.getcwd()
    del sys.argv[0]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
