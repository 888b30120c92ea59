"""The configuration reference: every key with its type, default, variable and meaning."""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from pydantic import BaseModel

from docsgen.common import cell, code, page


def type_name(annotation: Any) -> str:
    """A short, readable spelling of a field's type."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(json.dumps(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(type_name(a) for a in args)
    if origin is not None:
        inner = ", ".join(type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if annotation is type(None):
        return "unset"
    return getattr(annotation, "__name__", str(annotation))


def shown(value: Any) -> str:
    """A default as the user would write it in TOML or JSON, in code type; unset in words."""
    if value is None:
        return "unset"
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True, exclude_none=True)
    return code(json.dumps(value, ensure_ascii=False))


def leaves(section: BaseModel, dotted: str) -> list[tuple[str, str, Any, Any]]:
    """(dotted key, key, field, default) of every leaf key, sub-tables flattened."""
    found = []
    for key, field in type(section).model_fields.items():
        value = getattr(section, key)
        if isinstance(value, BaseModel):
            found += leaves(value, f"{dotted}.{key}")
        else:
            found.append((f"{dotted}.{key}", key, field, value))
    return found


def settings_keys() -> list[str]:
    """Every dotted key of config/agent.toml, as the models define them."""
    from self_improving_agent.base.config import Settings

    settings = Settings()
    return [k for name in Settings.model_fields for k, *_ in leaves(getattr(settings, name), name)]


def _table(settings: BaseModel, name: str) -> list[str]:
    """One config table's rows."""
    from self_improving_agent.cli.config_template import env_name

    rows = ["| key | type | default | environment | meaning |", "|---|---|---|---|---|"]
    for dotted, key, field, value in leaves(getattr(settings, name), name):
        table = dotted.rsplit(".", 1)[0]
        default = "the shipped catalogue (`agent models`)" if key == "models" else shown(value)
        rows.append(
            f"| `{dotted}` | {type_name(field.annotation)} | {default} "
            f"| `{env_name(table, key)}` | {cell(field.description or '')} |"
        )
    return rows


def _model_rows(model: type[BaseModel], prefix: str) -> list[str]:
    """Rows for the fields of one entry model (a catalogue entry, a custom evaluator)."""
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for key, field in model.model_fields.items():
        name = field.alias or key
        default = (
            "required"
            if field.is_required()
            else shown(field.get_default(call_default_factory=True))
        )
        rows.append(
            f"| `{prefix}{name}` | {type_name(field.annotation)} | {default} "
            f"| {cell(field.description or '')} |"
        )
    return rows


def render() -> str:
    """The whole page."""
    from self_improving_agent.base.config import ModelSpec, Settings
    from self_improving_agent.benchmarks.config import BenchConfig
    from self_improving_agent.benchmarks.custom_spec import CustomSpec, ScoreSpec

    settings = Settings()
    body = ["## config/agent.toml", ""]
    for name in Settings.model_fields:
        doc = (type(getattr(settings, name)).__doc__ or "").strip()
        body += [f"### [{name}]", "", doc, "", *_table(settings, name), ""]
    body += [
        '### [providers.models."ID"]',
        "",
        (ModelSpec.__doc__ or "").strip()
        + " An entry of yours updates the shipped one key by key.",
        "",
        *_model_rows(ModelSpec, ""),
        "",
        "## config/benchmarks.json",
        "",
        (BenchConfig.__doc__ or "").strip(),
        "",
        *_model_rows(BenchConfig, ""),
        "",
        "### custom evaluators",
        "",
        (CustomSpec.__doc__ or "").strip(),
        "",
        *_model_rows(CustomSpec, "custom[]."),
        "",
        (ScoreSpec.__doc__ or "").strip() + " Give exactly one:",
        "",
        *_model_rows(ScoreSpec, "custom[].score."),
    ]
    intro = (
        "Precedence, lowest to highest: built-in defaults < the config file < environment "
        "variables < command-line flags. `[agent]` keys are set from `AGENT_<KEY>`, every other "
        "key from `AGENT_<SECTION>__<KEY>`; lists and tables in the environment are JSON. "
        "Unknown keys are errors. `agent config show` prints the effective result, "
        "`agent config validate` checks a file, `agent config init` writes a commented one."
    )
    return page("Configuration", intro, body)
