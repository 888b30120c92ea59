"""Findings for the personas: the weakest benchmarks' file:line evidence within budget."""

from __future__ import annotations

from self_improving_agent.base.tokens import estimate_tokens
from self_improving_agent.benchmarks.base import BenchResult
from self_improving_agent.mind.evidence import architect_evidence, builder_evidence, findings_of


def located(path: str, line: int, message: str) -> dict[str, object]:
    """One finding as the tool benchmarks keep it."""
    return {"path": path, "line": line, "message": message}


LINT = BenchResult(
    name="lint_score",
    score=0.4,
    raw={"evidence": [located("pkg/a.py", i, f"F401 unused {i}") for i in range(1, 10)]},
)
DOCS = BenchResult(
    name="doc_coverage",
    score=0.5,
    raw={"undocumented": ["pkg/a.py", "pkg/a.py:4 load", "pkg/b.py:9 Store"]},
)
TESTS = BenchResult(
    name="test_pass_rate",
    score=0.9,
    raw={"outcomes": {"tests/test_a.py::test_ok": "passed", "tests/test_a.py::test_x": "failed"}},
)
IMPORTS = BenchResult(name="import_check", score=0.95, raw={"errors": {"pkg.c": "ImportError: x"}})
PERFECT = BenchResult(name="type_check", score=1.0, raw={"errors": 0, "evidence": []})


def test_each_benchmark_raw_becomes_file_line_findings() -> None:
    assert [f.text() for f in findings_of(DOCS)] == [
        "pkg/a.py no module docstring",
        "pkg/a.py:4 no docstring: load",
        "pkg/b.py:9 no docstring: Store",
    ]
    assert findings_of(TESTS)[0].text() == "tests/test_a.py failed: tests/test_a.py::test_x"
    assert findings_of(IMPORTS)[0].text() == "pkg.c does not import: ImportError: x"
    security = BenchResult(
        name="security_scan",
        score=0.5,
        raw={"locations": [{"rule": "code/eval", "path": "x.py", "line": 3, "message": "eval"}]},
    )
    assert findings_of(security)[0].text() == "x.py:3 code/eval eval"
    assert findings_of(BenchResult(name="lint_score", score=0.5, raw={"evidence": ["junk"]})) == []


def test_the_architect_sees_the_weakest_three_with_findings_capped_per_benchmark() -> None:
    lines = architect_evidence([PERFECT, IMPORTS, TESTS, DOCS, LINT])
    assert lines[0] == "- lint_score (0.400):"
    assert lines[1:7] == [f"  pkg/a.py:{i} F401 unused {i}" for i in range(1, 7)]
    assert lines[7] == "  (+3 more)" and lines[8] == "- doc_coverage (0.500):"
    assert "- test_pass_rate (0.900):" in lines and "import_check" not in "\n".join(lines)


def test_evidence_stays_within_its_budget() -> None:
    many = BenchResult(
        name="lint_score",
        score=0.1,
        raw={"evidence": [located(f"pkg/m{i}.py", i, "E501 " + "x" * 150) for i in range(30)]},
    )
    for budget in (0, 30, 200):
        assert estimate_tokens("\n".join(architect_evidence([many], budget))) <= budget
    builder = builder_evidence([many], [f"pkg/m{i}.py" for i in range(30)], 100)
    assert 0 < len(builder) < 30 and estimate_tokens("\n".join(builder)) <= 100


def test_the_builder_gets_every_finding_in_its_planned_files_only() -> None:
    lines = builder_evidence([LINT, DOCS, TESTS], ["pkg/b.py", "tests/test_a.py"])
    assert lines == [
        "- [doc_coverage] pkg/b.py:9 no docstring: Store",
        "- [test_pass_rate] tests/test_a.py failed: tests/test_a.py::test_x",
    ]


def test_a_custom_evaluators_evidence_reaches_both_personas() -> None:
    speed = BenchResult(
        name="speed",
        score=0.3,
        custom=True,
        raw={"value": 30, "evidence": [{"path": "shop/s.py", "line": 4, "message": "slow sort"}]},
    )
    assert architect_evidence([speed]) == ["- speed (0.300):", "  shop/s.py:4 slow sort"]
    assert builder_evidence([speed], ["shop/s.py"]) == ["- [speed] shop/s.py:4 slow sort"]
