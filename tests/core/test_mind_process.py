"""The mind as its own contained process: real minds and hostile ones, over a real pipe."""

from __future__ import annotations

import json
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from self_improving_agent.base.errors import MindError, PhaseFailed
from self_improving_agent.base.models import Build, Change, LlmCall, Plan
from self_improving_agent.base.store import Store
from self_improving_agent.core.budget import over_budget
from self_improving_agent.core.generation import RunOptions, run_generation
from self_improving_agent.core.mind_link import MindLink, Serving, open_mind
from self_improving_agent.mind import messages as m
from self_improving_agent.providers.base import Completion, CompletionRequest, Usage
from self_improving_agent.sandbox.sandbox import SandboxMode, unavailable
from tests.conftest import git
from tests.core.test_generation import assert_nothing_left, report_of, session, target
from tests.loop_kit import sample_repo

KEY = "sk-ant-" + "k" * 40
CONTAINED: list[SandboxMode] = ["bwrap", "landlock"]


class Edge:
    """The network edge: a provider answering every request with reply at a fixed cost."""

    name = "edge"

    def __init__(self, reply: str = "{}", cost: float = 0.0) -> None:
        self.reply, self.cost = reply, cost
        self.requests: list[CompletionRequest] = []

    def complete(self, request: CompletionRequest) -> Completion:
        self.requests.append(request)
        return Completion(text=self.reply, usage=Usage(), cost_usd=self.cost, model="edge")


def start() -> m.Start:
    """A start message for a generation with nothing measured yet."""
    return m.Start(
        results=[],
        history=[],
        goals=[],
        rejected_plans=[],
        repo_map_tokens=500,
        blocked_patterns=[".env"],
        protected_paths=[],
        max_files=5,
        local=False,
    )


def fake_mind(tmp_path: Path, body: str) -> Path:
    """A package folder whose mind is body: the code a hostile generation could merge."""
    code = tmp_path / "fake-mind"
    (code / "mind").mkdir(parents=True)
    (code / "__init__.py").write_text("", encoding="utf-8")
    (code / "mind" / "__init__.py").write_text("", encoding="utf-8")
    (code / "mind" / "__main__.py").write_text(body, encoding="utf-8")
    return code


SPEAK = """import json, sys
def send(o):
    sys.stdout.write(json.dumps(o) + "\\n"); sys.stdout.flush()
def recv():
    return json.loads(sys.stdin.readline())
def ask(prompt, persona="architect"):
    send({"v": 1, "kind": "complete", "request": {"persona": persona, "system": "s",
          "prompt": prompt, "schema_name": "Plan", "json_schema": {}}})
    return recv()
"""


def alive(marker: str) -> list[int]:
    """Processes whose command line holds marker."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "cmdline").read_bytes().decode():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def assert_no_orphan(marker: str) -> None:
    """Every process of the mind is gone (its pid namespace may take a moment to empty)."""
    deadline = time.monotonic() + 30
    while alive(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive(marker) == []


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A sample repository with an ignored .env holding the key, as a user's would."""
    path = sample_repo(tmp_path / "repo", {".gitignore": ".env\n"})
    (path / ".env").write_text(f"ANTHROPIC_API_KEY={KEY}\n", encoding="utf-8")
    return path


def serving(edge: Edge, store: Store | None = None, max_cost: float | None = None) -> Serving:
    """The judge's side: the edge provider, calls into the store, no lessons."""
    calls: list[LlmCall] = []

    def on_call(call: LlmCall) -> None:
        calls.append(call)
        if store is not None:
            store.add_llm_call(None, call.model_dump())

    def budget() -> str | None:
        return over_budget(store, max_cost) if store is not None else None

    return Serving(edge, on_call, lambda terms, limit: [], budget, local=False)


@contextmanager
def opened(
    repo: Path, serve: Serving, code: Path | None, mode: SandboxMode = "auto", timeout_s: float = 60
) -> Iterator[MindLink]:
    """The mind over repo's main, started with code (None: the installed mind)."""
    sha = git(repo, "rev-parse", "main").strip()
    minded = open_mind(repo, sha, 1, [".env"], serve, mode=mode, timeout_s=timeout_s, code=code)
    with minded as link:
        link.open(start())
        yield link


def test_the_real_mind_plans_builds_and_repairs_through_the_judge(repo: Path) -> None:
    """The installed mind's three tasks: every completion is asked of the judge's provider."""
    chosen = Plan(title="Document add", files_to_modify=["pkg/calc.py"])
    edge = Edge(chosen.model_dump_json())
    link: MindLink
    with opened(repo, serving(edge), None) as link:
        planned = link.plan()
        assert planned.plan == chosen
        edge.reply = Build(changes=[Change(file="pkg/x.py", content="x = 1\n")]).model_dump_json()
        built = link.build(chosen, {"pkg/calc.py": "def add(): ...\n"})
        repaired = link.repair(chosen, {"pkg/calc.py": ""}, ["- test_add failed"], 1, 2)
    assert built.build.changes[0].file == "pkg/x.py" and repaired.evidence_tokens > 0
    personas = [r.persona for r in edge.requests]
    assert personas == ["architect", "builder", "builder"]
    # The Architect saw the map the mind drew from its own view: the committed files only.
    assert "pkg/calc.py" in edge.requests[0].context and ".env" not in edge.requests[0].context
    assert "repair round 1 of 2" in edge.requests[2].prompt


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (
            "import sys\nsys.stderr.write('boom: broken mind\\n')\nsys.exit(3)\n",
            r"the mind exited \(code 3\) before answering: boom: broken mind",
        ),
        (
            SPEAK
            + "send({'v': 1, 'kind': 'hello'})\nrecv(); recv()\nprint('not json', flush=True)\n"
            "import time\ntime.sleep(600)\n",
            "the mind sent a malformed message: a message is not JSON",
        ),
        (
            SPEAK + "send({'v': 7, 'kind': 'hello'})\nimport time\ntime.sleep(600)\n",
            "the mind speaks protocol version 7; this judge speaks 1",
        ),
        (
            SPEAK + "send({'v': 1, 'kind': 'hello'})\nimport time\ntime.sleep(600)\n",
            r"the mind did not answer within 2 s",
        ),
        (
            SPEAK
            + "send({'v': 1, 'kind': 'hello'})\nrecv(); recv()\nask('x', persona='reviewer')\n",
            "the mind asked for a Reviewer's completion",
        ),
    ],
    ids=["crash", "malformed", "unknown-version", "hang", "reviewer"],
)
def test_a_broken_mind_is_one_named_error_and_leaves_no_process(
    repo: Path, tmp_path: Path, body: str, named: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    code = fake_mind(tmp_path, body)
    with (
        pytest.raises(MindError, match=named),
        opened(repo, serving(Edge()), code, timeout_s=2) as link,
    ):
        link.plan()
    assert_no_orphan(str(code))
    assert list(scratch.iterdir()) == []


LOOP = (
    SPEAK
    + """send({"v": 1, "kind": "hello"})
recv(); recv()
while True:
    ask("once more")
"""
)


def test_a_looping_mind_stops_at_max_cost(repo: Path, tmp_path: Path) -> None:
    """Each call costs 0.01; with --max-cost 0.05 the fifth is the last the judge makes."""
    edge = Edge(cost=0.01)
    with (
        Store.for_repo(repo) as store,
        pytest.raises(PhaseFailed, match="--max-cost"),
        opened(repo, serving(edge, store, 0.05), fake_mind(tmp_path, LOOP)) as link,
    ):
        link.plan()
    assert len(edge.requests) == 5


def test_a_looping_mind_is_stopped_without_a_budget_too(repo: Path, tmp_path: Path) -> None:
    edge = Edge()
    with (
        pytest.raises(MindError, match="more than 40 completions"),
        opened(repo, serving(edge), fake_mind(tmp_path, LOOP)) as link,
    ):
        link.plan()
    assert len(edge.requests) == 40


PROBE = (
    SPEAK
    + """import os, socket
found = {}
send({"v": 1, "kind": "hello"})
recv(); recv()
found["environ"] = dict(os.environ)
found["proc_environ"] = open("/proc/self/environ", "rb").read().decode("utf-8", "replace")
def attempt(name, action):
    try:
        found[name] = "ok: " + str(action())[:2000]
    except Exception as exc:
        found[name] = "refused: " + type(exc).__name__
attempt("repo_env", lambda: open(REPO + "/.env").read())
attempt("tree_env", lambda: open(".env").read())
attempt("judge_environ", lambda: open("/proc/%d/environ" % JUDGE, "rb").read().decode())
attempt("judge_mem", lambda: open("/proc/%d/mem" % JUDGE, "rb").read(1))
attempt("write_ref", lambda: open(REPO + "/.git/refs/heads/evil", "w").write("x"))
attempt("write_repo", lambda: open(REPO + "/pkg/evil.py", "w").write("x"))
attempt("write_tree", lambda: open("pkg/evil.py", "w").write("x"))
attempt("write_home", lambda: open(os.environ["HOME"] + "/note", "w").write("x"))
attempt("host", lambda: socket.create_connection(("127.0.0.1", PORT), timeout=5).close())
attempt("internet", lambda: socket.create_connection(("1.1.1.1", 443), timeout=5).close())
ask(json.dumps(found))
send({"v": 1, "kind": "failed", "error": "mind", "message": "probe done"})
recv()
"""
)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A server on the host's 127.0.0.1 the mind must not reach."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.setblocking(False)
        yield server


@pytest.mark.parametrize("mode", CONTAINED)
def test_a_contained_mind_reads_no_key_reaches_nothing_and_writes_only_scratch(
    repo: Path,
    tmp_path: Path,
    mode: SandboxMode,
    listener: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The mind a generation could write probes its environment, files, /proc and network."""
    if unavailable(mode):
        pytest.skip(f"{mode} is not available here: {unavailable(mode)}")
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    port = listener.getsockname()[1]
    body = f"REPO = {str(repo)!r}\nJUDGE = {os.getpid()}\nPORT = {port}\n" + PROBE
    edge = Edge()
    with (
        pytest.raises(MindError, match="probe done"),
        opened(repo, serving(edge), fake_mind(tmp_path, body), mode=mode) as link,
    ):
        link.plan()
    found = json.loads(edge.requests[0].prompt)
    assert KEY not in edge.requests[0].prompt
    assert "ANTHROPIC_API_KEY" not in found["environ"]
    for name in ("repo_env", "tree_env", "judge_environ", "judge_mem"):
        assert found[name].startswith("refused"), (name, found[name])
    for name in ("write_ref", "write_repo", "write_tree", "host", "internet"):
        assert found[name].startswith("refused"), (name, found[name])
    assert found["write_home"].startswith("ok")
    with pytest.raises(BlockingIOError):
        listener.accept()
    assert not (repo / ".git" / "refs" / "heads" / "evil").exists()
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("import sys\nsys.exit(3)\n", r"plan failed: the mind exited \(code 3\)"),
        (SPEAK + "send({'v': 3, 'kind': 'hello'})\n", "plan failed: the mind speaks protocol"),
    ],
    ids=["crash", "unknown-version"],
)
def test_a_broken_mind_ends_the_generation_as_a_rejected_entry(
    tmp_path: Path, body: str, named: str
) -> None:
    """Through a whole generation: rejected, the error named in the report, nothing left."""
    repo = target(tmp_path)
    code = fake_mind(tmp_path, body)
    with session(repo, tmp_path, {}) as deps:
        outcome = run_generation(replace(deps, mind_code=code), RunOptions())
    assert outcome.status == "rejected"
    assert re.search(named, outcome.reason), outcome.reason
    assert re.search(named.split(": ", 1)[1], json.dumps(report_of(outcome)["errors"]))
    assert_nothing_left(repo)
    assert_no_orphan(str(code))


def test_the_judge_takes_its_secret_values_out_of_what_the_mind_sends(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mind that found the key's value in a committed file cannot send it to the provider."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    body = SPEAK + f"send({{'v': 1, 'kind': 'hello'}})\nrecv(); recv()\nask('x {KEY} y')\n"
    edge = Edge()
    with (
        pytest.raises(MindError),
        opened(repo, serving(edge), fake_mind(tmp_path, body), timeout_s=5) as link,
    ):
        link.plan()
    assert KEY not in edge.requests[0].prompt and "***" in edge.requests[0].prompt
