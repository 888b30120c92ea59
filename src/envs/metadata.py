"""What a project requires, asked of its own build backend inside the no-network sandbox."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from self_improving_agent.base.cleanup import scratch_dir
from self_improving_agent.base.safe_files import UnsafeResult, read_result_text
from self_improving_agent.base.text import printable
from self_improving_agent.sandbox.proc import run_tool, sandbox_env
from self_improving_agent.sandbox.sandbox import SandboxMode, sandbox_for

METADATA_TIMEOUT_S = 600.0
OUT_NAME = "requires.json"
MAX_REQUIREMENTS = 500
# A requirement the host may hand to uv: a name first (never an option), one line, a sane size.
_REQUIREMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._, -]*\])?[^\n\r]{0,500}")
# Direct references only to remote archives or repositories: a local path would be built on
# the host, outside the sandbox.
_REMOTE = re.compile(r"@\s*(https://|git\+https://)")

# Runs in the sandbox with the environment's interpreter, in the project's folder: the backend
# named by pyproject.toml (pip's legacy setuptools default without one) writes the metadata,
# whose Requires-Dist are kept when their markers hold for the wanted extras; the project's
# own name among them (an extra that names others) is resolved here, never installed.
_PROBE = r"""
import importlib, json, os, sys, tomllib, zipfile
from email.parser import Parser
from packaging.requirements import Requirement
out, extras = sys.argv[1], json.loads(sys.argv[2])
try:
    with open("pyproject.toml", "rb") as handle:
        system = tomllib.load(handle).get("build-system", {})
except FileNotFoundError:
    system = {}
module, _, attr = system.get("build-backend", "setuptools.build_meta:__legacy__").partition(":")
sys.path[:0] = [os.path.abspath(p) for p in system.get("backend-path", [])]
backend = importlib.import_module(module)
for part in filter(None, attr.split(".")):
    backend = getattr(backend, part)
work = os.path.join(os.environ["TMPDIR"], "metadata")
os.makedirs(work)
if hasattr(backend, "prepare_metadata_for_build_wheel"):
    name = backend.prepare_metadata_for_build_wheel(work)
    with open(os.path.join(work, name, "METADATA"), encoding="utf-8") as handle:
        text = handle.read()
else:
    wheel = os.path.join(work, backend.build_wheel(work))
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        text = archive.read(name).decode("utf-8")
from packaging.utils import canonicalize_name as canonical
meta = Parser().parsestr(text)
own = canonical(meta.get("Name") or "")
reqs = [Requirement(line) for line in meta.get_all("Requires-Dist") or []]
wanted = {"", *extras}
def holds(req):
    return req.marker is None or any(req.marker.evaluate({"extra": e}) for e in wanted)
# An extra naming the project itself (dev = ["me[aws]"]) adds those extras, until none is new.
grown = True
while grown:
    more = {e for r in reqs if canonical(r.name) == own and holds(r) for e in r.extras}
    grown = not more <= wanted
    wanted |= more
found = []
for req in reqs:
    if canonical(req.name) != own and holds(req):
        req.marker = None
        found.append(str(req))
with open(out, "w", encoding="utf-8") as handle:
    json.dump(found, handle)
"""


def usable(requirements: object) -> list[str] | str:
    """The requirement strings the host may install, or why the answer is refused."""
    if not isinstance(requirements, list) or len(requirements) > MAX_REQUIREMENTS:
        return "the answer is not a list of at most 500 requirements"
    kept: list[str] = []
    for item in requirements:
        if not isinstance(item, str) or not _REQUIREMENT.fullmatch(item):
            return f"{printable(str(item))[:80]!r} is not a requirement"
        if "@" in item and not _REMOTE.search(item):
            return f"{printable(item)[:80]!r} points at a local path, which would build on the host"
        kept.append(item)
    return kept


def project_requires(
    tree: Path, python: Path, extras: Sequence[str], version: dict[str, str], mode: SandboxMode
) -> list[str] | str:
    """The project's requirements (with extras) from its build backend run in the sandbox.

    The answer is data from sandboxed code: read without following links, size-capped, each
    entry checked before the host passes it to uv. A string says why there is none.
    """
    with scratch_dir("agent-metadata-") as tmp:
        scratch = Path(tmp)
        spec = sandbox_for(mode, scratch, [tree], [python.parent.parent])
        argv = [str(python), "-c", _PROBE, str(scratch / OUT_NAME), json.dumps(list(extras))]
        env = sandbox_env({**version, "PIP_NO_INDEX": "1"})
        run = run_tool(argv, tree, env, METADATA_TIMEOUT_S, sandbox=spec)
        if run.returncode != 0:
            lines = [line for line in run.tail().splitlines() if line.strip()]
            return printable(lines[-1] if lines else f"exit code {run.returncode}")
        try:
            text = read_result_text(scratch, OUT_NAME, "metadata")
            return usable(json.loads(text or ""))
        except UnsafeResult as exc:
            return f"containment finding: {exc}"
        except ValueError:
            return "the backend wrote no readable list of requirements"
