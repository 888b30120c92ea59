"""The report's JSON schema, from the model every gen-N.json is written from."""

from __future__ import annotations

import json
import typing
from typing import Any

from pydantic import BaseModel

from docsgen.common import cell, page
from docsgen.config_ref import type_name


def meaning(field: Any) -> str:
    """A field's description, else the first docstring line of the model it holds."""
    if field.description:
        return str(field.description)
    stack = [field.annotation]
    while stack:
        kind = stack.pop()
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            return (kind.__doc__ or "").strip().splitlines()[0]
        stack.extend(typing.get_args(kind))
    return ""


def render() -> str:
    """The whole page."""
    from self_improving_agent.reports.report_model import GenerationReport

    rows = ["| field | type | meaning |", "|---|---|---|"]
    for key, field in GenerationReport.model_fields.items():
        rows.append(f"| `{key}` | {type_name(field.annotation)} | {cell(meaning(field))} |")
    schema = json.dumps(GenerationReport.model_json_schema(), indent=2, sort_keys=True)
    body = [
        "## Top-level fields",
        "",
        *rows,
        "",
        "## JSON Schema",
        "",
        "```json",
        schema,
        "```",
    ]
    intro = (
        "Every generation leaves `reports/gen-N.json`, written atomically by one writer from "
        "the model below; `agent report N --json` prints it as written. "
        "[Reading the results](../guides/your-repository.md#read-the-results) explains it."
    )
    return page("Report schema", intro, body)
