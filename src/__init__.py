"""self-improving-agent: evolves a Python git repository one measured generation at a time."""

import sys

# The one real minimum (tomllib, datetime.UTC, typing); patch-level features have fallbacks.
MINIMUM_PYTHON = (3, 11)
if sys.version_info < MINIMUM_PYTHON:
    sys.exit(
        "self-improving-agent needs Python 3.11 or newer, but runs on Python "
        + sys.version.split()[0]
        + " ("
        + sys.executable
        + "); install 3.11+ (python.org, your package manager, or `uv python install 3.11`)"
        + " and run the agent with it."
    )

from importlib.metadata import PackageNotFoundError, version  # noqa: E402

try:
    __version__ = version("self-improving-agent")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
