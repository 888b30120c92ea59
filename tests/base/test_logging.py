"""structlog setup: JSON lines carry ts/level/event/gen/phase; secrets never reach a line."""

from __future__ import annotations

import io
import json

import pytest
import structlog

from self_improving_agent.base.logging import configure_logging, get_logger

# Built at run time so this file does not itself look like it holds credentials.
SECRETS = {
    "ANTHROPIC_API_KEY": "sk-" + "ant-" + "test" * 6,
    "AWS_SECRET_ACCESS_KEY": "wJalr" + "XUtnFEMI" * 4,
    "AWS_SESSION_TOKEN": "FwoG" + "ZXIvYXdz" * 4,
    "GITHUB_TOKEN": "gh" + "p_" + "example" * 5,
}


@pytest.fixture(autouse=True)
def _reset_structlog() -> None:
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def test_json_lines_carry_ts_level_event_and_bound_context() -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out, environ={})
    get_logger(gen=3, phase="plan").info("plan.ready", files=2)
    record = json.loads(out.getvalue())
    assert record["event"] == "plan.ready"
    assert record["level"] == "info"
    assert record["gen"] == 3
    assert record["phase"] == "plan"
    assert record["files"] == 2
    assert record["ts"].endswith("Z") or "+00:00" in record["ts"]


def test_level_filters_lower_messages() -> None:
    out = io.StringIO()
    configure_logging("WARNING", "json", stream=out, environ={})
    get_logger().info("hidden")
    get_logger().warning("shown")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["shown"]


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_secret_values_are_redacted_everywhere(fmt: str) -> None:
    out = io.StringIO()
    configure_logging("DEBUG", fmt, stream=out, environ=SECRETS)
    log = get_logger(token=SECRETS["GITHUB_TOKEN"])
    log.info(
        f"calling with {SECRETS['ANTHROPIC_API_KEY']}", headers={"x": SECRETS["AWS_SESSION_TOKEN"]}
    )
    log.error("boom", values=[SECRETS["AWS_SECRET_ACCESS_KEY"], 1, None])
    text = out.getvalue()
    for value in SECRETS.values():
        assert value not in text
    assert "***" in text


def test_text_format_is_human_readable() -> None:
    out = io.StringIO()
    configure_logging("INFO", "text", stream=out, environ={})
    get_logger(gen=1).info("generation.start")
    line = out.getvalue()
    assert "generation.start" in line
    assert "gen=1" in line
