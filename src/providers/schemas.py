"""Reply schemas as structured-output APIs accept them: closed objects, only keywords they know."""

from __future__ import annotations

import json
from typing import Any

# What Anthropic's output_config, Bedrock's textFormat and OpenAI's strict mode all accept.
_KEPT = {"type", "description", "title", "enum", "const", "$ref"}
_NESTED = {"properties", "items", "anyOf", "allOf", "$defs", "required"}


def strict_schema(schema: dict[str, Any], *, all_required: bool = False) -> dict[str, Any]:
    """schema with additionalProperties false on every object and other keywords moved to text."""
    # Constraints the APIs reject (minLength, maximum, default, ...) become part of the
    # description, so the model still reads them and the persona's pydantic model still enforces
    # them. all_required lists every property as required, as OpenAI's strict mode demands; the
    # personas' optional fields all have harmless values to fill in.
    out: dict[str, Any] = {key: schema[key] for key in _KEPT if key in schema}
    if "$defs" in schema:
        out["$defs"] = {
            name: strict_schema(sub, all_required=all_required)
            for name, sub in schema["$defs"].items()
        }
    for key in ("anyOf", "allOf"):
        if key in schema:
            out[key] = [strict_schema(sub, all_required=all_required) for sub in schema[key]]
    if "items" in schema:
        out["items"] = strict_schema(schema["items"], all_required=all_required)
    if schema.get("type") == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        out["properties"] = {
            name: strict_schema(sub, all_required=all_required) for name, sub in properties.items()
        }
        required = list(properties) if all_required else list(schema.get("required", []))
        out["required"] = required
        out["additionalProperties"] = False
    rest = {k: v for k, v in schema.items() if k not in _KEPT | _NESTED | {"additionalProperties"}}
    if rest:
        note = ", ".join(f"{key}: {json.dumps(value)}" for key, value in sorted(rest.items()))
        out["description"] = (out.get("description", "") + f" ({note})").strip()
    return out
