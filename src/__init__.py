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

from pathlib import Path  # noqa: E402

UNKNOWN_VERSION = "0.0.0+unknown"


def installed_version() -> str:
    """The version in the installed distribution's METADATA, first on sys.path as
    importlib.metadata finds it; importing that costs as much as the whole CLI's start."""
    for entry in sys.path:
        for info in sorted(Path(entry or ".").glob("self_improving_agent-*.dist-info")):
            try:
                with (info / "METADATA").open(encoding="utf-8") as meta:
                    for line in meta:
                        if line.startswith("Version:"):
                            return line.split(":", 1)[1].strip()
                        if not line.strip():
                            break
            except OSError:
                continue
    return UNKNOWN_VERSION  # running from a source tree that was never installed


def __getattr__(name: str) -> str:
    """__version__, read on first use."""
    if name == "__version__":
        globals()[name] = found = installed_version()
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
