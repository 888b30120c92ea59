"""structlog setup: text or JSON lines on stderr, with secret values redacted from every field."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog

from self_improving_agent.base.secrets import redact, secret_values

LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
}


class SecretRedactor:
    """A processor that replaces secret values, wherever they appear in an event, with ***."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._secrets = secret_values(environ)

    def __call__(
        self, logger: Any, method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Redact every value of the event, recursively."""
        if not self._secrets:
            return event_dict
        return {key: self._clean(value) for key, value in event_dict.items()}

    def _clean(self, value: Any) -> Any:
        """One value with secrets removed; containers are walked."""
        if isinstance(value, str):
            return redact(value, self._secrets)
        if isinstance(value, Mapping):
            return {k: self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._clean(v) for v in value]
        if isinstance(value, int | float | bool) or value is None:
            return value
        return redact(str(value), self._secrets)


def configure_logging(
    level: str = "INFO",
    fmt: str = "text",
    stream: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Route structlog to stream (stderr by default) as text or JSON lines at level."""
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
        structlog.processors.format_exc_info,
        SecretRedactor(os.environ if environ is None else environ),
    ]
    if fmt == "json":
        processors.append(structlog.processors.JSONRenderer(sort_keys=False))
    else:
        processors.append(structlog.dev.ConsoleRenderer(colors=False, timestamp_key="ts"))
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level.upper()]),
        logger_factory=_factory(stream),
        cache_logger_on_first_use=False,
    )


def _factory(stream: TextIO | None) -> Any:
    """Loggers writing to stream, or to whatever sys.stderr is when a line is written."""
    if stream is not None:
        return structlog.PrintLoggerFactory(stream)
    # Binding sys.stderr once would keep writing to a stream that a test runner later closed.
    return lambda *_args: structlog.PrintLogger(sys.stderr)


def get_logger(**bound: Any) -> Any:
    """A logger with the given context (e.g. gen=3, phase="plan") bound."""
    return structlog.get_logger().bind(**bound)
