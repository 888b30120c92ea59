"""What reaches the user's credentials or reconfigures the tools that check a change: the home
folder, other processes' /proc entries, credential-store libraries, and environment variables
that an interpreter, a checking tool or the agent itself reads."""

from __future__ import annotations

from pydantic import BaseModel

from self_improving_agent.base.config import ENV_PREFIX, Settings

HOME = "the home folder, where credentials live"
# Libraries whose purpose is to hand out stored credentials (keyrings, netrc, browser cookies).
CREDENTIAL_ROOTS = frozenset({"keyring", "netrc", "secretstorage", "browser_cookie3"})
CREDENTIAL_ROOTS |= {"pycookiecheat", "keyrings"}
HOME_VARIABLES = frozenset({"HOME", "USERPROFILE"})
# /proc entries that expose a process's environment, memory, open files or command line.
PROC_PRIVATE = frozenset({"environ", "mem", "fd", "fdinfo", "root", "cwd", "cmdline", "maps"})
# Variables read at start-up by Python, the dynamic loader, the checking tools, installers and
# git: setting one changes how every later process (tests, tools, hooks) runs.
TOOL_VARIABLE_PREFIXES: tuple[str, ...] = ("PYTHON", "LD_", "DYLD_", "PYTEST_", "COVERAGE_")
TOOL_VARIABLE_PREFIXES += ("COV_CORE_", "RUFF_", "MYPY", "PIP_", "UV_", "GIT_", "VIRTUAL_ENV")
TOOL_VARIABLE_PREFIXES += ("CONDA_",)
TOOL_VARIABLES = frozenset({"PATH", "HOME", "PYTHONPATH", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"})


def proc_private(text: str) -> bool:
    """Whether a literal path names a process's private /proc entry (/proc/self/environ)."""
    parts = text.strip("/").split("/")
    return len(parts) >= 3 and parts[0] == "proc" and parts[2] in PROC_PRIVATE


def _setting(model: type[BaseModel], parts: list[str]) -> bool:
    """Whether the parts name a field path of a settings model."""
    if not parts:
        return True
    field = model.model_fields.get(parts[0])
    if field is None:
        return False
    inner = field.annotation
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return _setting(inner, parts[1:])
    return len(parts) == 1


def configures_tools(name: str) -> str | None:
    """Why setting this environment variable reconfigures a tool or the agent, or None."""
    upper = name.upper()
    if upper.startswith(ENV_PREFIX):
        parts = upper.removeprefix(ENV_PREFIX).lower().split("__")
        if parts[0] and _setting(Settings, parts):
            return "it is a setting of the agent that judges this change"
        return None
    if upper in TOOL_VARIABLES or upper.startswith(TOOL_VARIABLE_PREFIXES):
        return "Python or a checking tool reads it at start-up"
    return None
