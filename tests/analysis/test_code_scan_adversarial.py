"""The adversarial corpus: every write in STOPPED is stopped, every look-alike in ALLOWED passes."""

from __future__ import annotations

import time

import pytest

from self_improving_agent.analysis.code_scan import scan_source
from tests.analysis.adversarial_cases import ALLOWED, STOPPED


@pytest.mark.parametrize(("source", "rule"), [c[1:] for c in STOPPED], ids=[c[0] for c in STOPPED])
def test_stopped(source: str, rule: str) -> None:
    assert rule in {f.rule for f in scan_source(source, "pkg/mod.py")}


@pytest.mark.parametrize("source", [c[1] for c in ALLOWED], ids=[c[0] for c in ALLOWED])
def test_allowed(source: str) -> None:
    assert [(f.rule, f.message) for f in scan_source(source, "pkg/mod.py")] == []


def test_a_long_concatenation_does_not_blow_the_stack() -> None:
    source = "x = " + " + ".join(f"'p{i}'" for i in range(1500)) + "\nimport os\nos.system(x)\n"
    assert {f.rule for f in scan_source(source, "a.py")} == {"code/os-shell"}


def test_chained_aliases_are_linear() -> None:
    lines = ["import os", "a0 = os", *(f"a{i} = a{i - 1}" for i in range(1, 3000))]
    forward = "\n".join([*lines, "a2999.system('x')"]) + "\n"
    backward = "\n".join(
        ["import os", *(f"a{i} = a{i + 1}" for i in range(2999)), "a2999 = os", "a0.system('x')"]
    )
    for source in (forward, backward):
        # CPU time, so load cannot fail it; `make scan-timing` gives the figures.
        start = time.process_time()
        assert {f.rule for f in scan_source(source, "a.py")} == {"code/os-shell"}
        assert time.process_time() - start < 5


def test_an_internal_error_is_a_refusal_naming_scanner_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from self_improving_agent.analysis.code_scan import checks

    def boom(self: object, node: object) -> None:
        raise KeyError("broken rule")

    monkeypatch.setattr(checks.Checker, "_check", boom)
    [finding] = scan_source("x = 1\ny = x\n", "a.py")
    assert finding.rule == "scanner-error"
    assert "KeyError" in finding.message


def test_a_shrinking_string_loop_ends() -> None:
    source = "s = 'abcdefghijklmnopqrstuvwxyz'\nwhile s:\n    s = s[1:]\nimport os\nos.system(s)\n"
    assert {f.rule for f in scan_source(source, "a.py")} == {"code/os-shell"}
