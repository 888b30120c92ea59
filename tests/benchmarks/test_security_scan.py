"""security_scan: shared code_scan findings per file, and the score."""

from __future__ import annotations

from self_improving_agent.benchmarks.security_scan import scan_files, score_security

DANGER = "import os\nimport pickle\npickle.loads(b)\nos.system('ls')\neval(s)\n"


def test_findings_carry_rule_and_location() -> None:
    findings = scan_files({"a.py": DANGER, "b.py": "x = 1\n"})
    assert {(f["rule"], f["path"], f["line"]) for f in findings} == {
        ("code/pickle-marshal", "a.py", 3),
        ("code/os-shell", "a.py", 4),
        ("code/eval-exec", "a.py", 5),
    }


def test_score_halves_at_one_finding_per_kloc() -> None:
    assert score_security(0, 100) == 1.0
    assert score_security(1, 1000) == 0.5
    assert score_security(2, 1000) < score_security(1, 1000)
