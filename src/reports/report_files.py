"""Reports on disk: write gen-N.json atomically, find and load them, total the LLM calls."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from self_improving_agent.base.errors import ReportArgumentError, ReportError
from self_improving_agent.base.models import GenerationStatus, LlmCall
from self_improving_agent.base.secrets import redact_environment
from self_improving_agent.reports.report_model import GenerationReport

REPORT_NAME = re.compile(r"gen-(\d+)\.json")


def parse_which(text: str) -> int | Literal["latest"]:
    """'latest' or a generation number >= 1, from a command-line argument."""
    cleaned = text.strip().lower()
    if cleaned == "latest":
        return "latest"
    if cleaned.isdigit() and int(cleaned) >= 1:
        return int(cleaned)
    raise ReportArgumentError(f"'{text}' is not a generation; give a number such as 3, or latest")


def report_path(reports_dir: Path, generation: int) -> Path:
    """Where the report of one generation lives."""
    return reports_dir / f"gen-{generation}.json"


def report_patterns(reports_dir: str) -> list[str]:
    """The exclude patterns of the files the agent writes there, never the user's own files."""
    folder = reports_dir.strip("/")
    return [f"/{folder}/gen-*.json", f"/{folder}/.gen-*.json.*.tmp"]


def write_report(report: GenerationReport, reports_dir: Path) -> Path:
    """Write gen-N.json through a temp file and os.replace, so readers never see half a file."""
    target = report_path(reports_dir, report.generation)
    tmp_name: str | None = None
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            dir=reports_dir,
            prefix=f".{target.name}.",
            suffix=".tmp",
            delete=False,
        ) as handle:
            tmp_name = handle.name
            handle.write(redact_environment(report.model_dump_json(indent=2)) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except OSError as exc:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)
        raise ReportError(f"{target}: cannot write the report ({exc})") from None
    return target


def amend_report(
    path: Path,
    status: GenerationStatus,
    *,
    human_verdict: dict[str, object] | None = None,
    error: dict[str, str] | None = None,
    reason: str | None = None,
) -> Path:
    """Re-write a finished generation's report with its settled status, through write_report."""
    report = read_report(path)
    report.status = status
    if reason is not None:
        report.reason = reason
    if human_verdict is not None:
        report.human_verdict = human_verdict
    if error is not None:
        report.errors.append(error)
    return write_report(report, path.parent)


def report_numbers(reports_dir: Path) -> list[int]:
    """Generation numbers that have a report file, ascending."""
    if not reports_dir.is_dir():
        return []
    try:
        names = [p.name for p in reports_dir.iterdir()]
    except OSError as exc:
        raise ReportError(f"{reports_dir}: cannot list the reports ({exc})") from None
    found = (REPORT_NAME.fullmatch(name) for name in names)
    return sorted(int(m.group(1)) for m in found if m is not None)


def find_report(reports_dir: Path, which: int | Literal["latest"]) -> Path:
    """The file of generation `which` (or the highest-numbered one), or a ReportError."""
    numbers = report_numbers(reports_dir)
    if not numbers:
        raise ReportError(f"no reports in {reports_dir}; run `agent run` to make the first one")
    if which == "latest":
        return report_path(reports_dir, numbers[-1])
    if which not in numbers:
        raise ReportError(
            f"no report for generation {which} in {reports_dir}; available: {_ranges(numbers)}"
        )
    return report_path(reports_dir, which)


def _ranges(numbers: Sequence[int]) -> str:
    """1, 2, 3, 5 -> '1-3, 5' for short messages."""
    parts: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(parts)


def read_report(path: Path) -> GenerationReport:
    """Parse and validate one report file, naming it in any error."""
    return _parse(path, _read_text(path))


def report_text(reports_dir: Path, which: int | Literal["latest"]) -> str:
    """The report file's JSON exactly as written, once it has been checked to be valid."""
    path = find_report(reports_dir, which)
    text = _read_text(path)
    _parse(path, text)
    return text


def _read_text(path: Path) -> str:
    """A report file's text, or a ReportError naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read the report ({exc})") from None


def _parse(path: Path, text: str) -> GenerationReport:
    """Validate a report's text; the generation inside must match the file name."""
    try:
        report = GenerationReport.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the document"
        raise ReportError(
            f"{path}: not a valid generation report ({where}: {first['msg']}); "
            "delete or restore the file"
        ) from None
    match = REPORT_NAME.fullmatch(path.name)
    if match is not None and int(match.group(1)) != report.generation:
        raise ReportError(
            f"{path}: the file says generation {report.generation}; "
            "rename it or restore the original"
        )
    return report


def load_report(reports_dir: Path, which: int | Literal["latest"]) -> GenerationReport:
    """The validated report of generation `which`, or the latest one."""
    return read_report(find_report(reports_dir, which))


def load_reports(reports_dir: Path) -> list[GenerationReport]:
    """Every report, oldest first; one unreadable file fails the whole load and is named."""
    return [read_report(report_path(reports_dir, n)) for n in report_numbers(reports_dir)]


def llm_totals(calls: Sequence[LlmCall]) -> dict[str, float]:
    """Sums over the calls; cost_usd adds the known costs and cost_known says if all were known."""
    return {
        "calls": len(calls),
        "input_tokens": sum(c.input_tokens for c in calls),
        "output_tokens": sum(c.output_tokens for c in calls),
        "cost_usd": sum(c.cost_usd for c in calls if c.cost_usd is not None),
        "cost_known": all(c.cost_usd is not None for c in calls),
        "latency_s": sum(c.latency_s for c in calls),
    }
