"""self-improving-agent: evolves a Python git repository one measured generation at a time."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("self-improving-agent")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
