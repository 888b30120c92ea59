"""JSON out of model text: the first valid object, found in linear time, then schema-checked."""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from self_improving_agent.base.errors import ReplyValidationError, ResponseParseError
from self_improving_agent.base.limits import json_depth_problem

ModelT = TypeVar("ModelT", bound=BaseModel)

# Inside an object only braces and quotes matter; strings are skipped whole.
_STRUCTURE = re.compile(r'[{}"]')
# A JSON object opens with a quoted key or closes at once.
_OBJECT_OPEN = re.compile(r'\{\s*+["}]')
# The rest of a JSON string after its opening quote. Possessive quantifiers never backtrack,
# so an unterminated string costs one pass, not a quadratic search.
_STRING_REST = re.compile(r'[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
# A fenced block whose fences start lines; the tag after the opening fence is optional.
_FENCE = re.compile(r"^[ \t]*```[^\n`]*\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)
_MAX_LISTED_PROBLEMS = 5
_MAX_INPUT_CHARS = 60
_MAX_REPROMPT_ERROR_CHARS = 1500


def _object_end(text: str, start: int) -> int | None:
    """Index after the brace closing the object opened at start, or None when it never closes."""
    depth = 0
    pos = start
    while (match := _STRUCTURE.search(text, pos)) is not None:
        pos = match.end()
        char = match.group()
        if char == '"':
            rest = _STRING_REST.match(text, pos)
            if rest is None:
                return None
            pos = rest.end()
        elif char == "{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return pos
    return None


def _refuse_constant(name: str) -> NoReturn:
    """NaN and Infinity are Python's JSON extensions, not JSON."""
    raise ValueError(f"{name} is not valid JSON")


def _decode(candidate: str) -> dict[str, Any]:
    """One balanced {...} span as a dict; raw control characters inside strings are accepted."""
    too_deep = json_depth_problem(candidate)
    if too_deep:
        raise ValueError(too_deep)
    # strict=False is the repair models need: literal newlines and tabs inside strings.
    value: dict[str, Any] = json.loads(candidate, strict=False, parse_constant=_refuse_constant)
    return value


def _describe(text: str, start: int, failure: Exception | None) -> str:
    """Where in text the candidate starting at start failed, and why; None means never closed."""
    line = text.count("\n", 0, start) + 1
    if failure is None:
        return f"the JSON object at line {line} is never closed (was it cut off?)"
    if isinstance(failure, json.JSONDecodeError):
        return f"invalid JSON at line {line + failure.lineno - 1}: {failure.msg}"
    if isinstance(failure, RecursionError):
        return f"the JSON object at line {line} is nested too deeply"
    return f"invalid JSON at line {line}: {failure}"


def _first_object(text: str) -> tuple[dict[str, Any] | None, str]:
    """The first {...} span of text that decodes, or None and why the largest one failed."""
    largest = failed_at = -1
    failure: Exception | None = None
    pos = 0
    while (start := text.find("{", pos)) != -1:
        end = _object_end(text, start)
        error: Exception | None = None
        if end is not None and _OBJECT_OPEN.match(text, start):
            try:
                return _decode(text[start:end]), ""
            except (ValueError, RecursionError) as exc:
                error = exc
        elif end is not None:
            # Prose such as {x} fails here, without paying for a json.loads call.
            error = ValueError("object keys must be double-quoted strings")
        size = (len(text) if end is None else end) - start
        if size > largest:
            largest, failed_at, failure = size, start, error
        if end is None:
            # Everything after an unclosed brace belongs to it in this reading of the text.
            break
        pos = end
    if failed_at < 0:
        return None, "there is no '{' in it"
    return None, _describe(text, failed_at, failure)


def parse_json_response(text: str) -> dict[str, Any]:
    """The first valid JSON object in a model reply; ResponseParseError when there is none."""
    found, problem = _first_object(text)
    if found is not None:
        return found
    # Prose outside fences can hold a stray brace or quote that hides the object; the fenced
    # bodies are read on their own. They are disjoint, so this stays linear.
    for fence in _FENCE.finditer(text):
        found, _ = _first_object(fence.group(1))
        if found is not None:
            return found
    raise ResponseParseError(f"the reply holds no valid JSON object: {problem}", raw=text)


def _problem(error: ErrorDetails) -> str:
    """One pydantic error as `field.path: message (got value)`."""
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    line = f"{where}: {error['msg']}"
    if error["type"] != "missing":
        shown = repr(error.get("input"))
        if len(shown) > _MAX_INPUT_CHARS:
            shown = shown[: _MAX_INPUT_CHARS - 3] + "..."
        line += f" (got {shown})"
    return line


def _not_text(data: object) -> str | None:
    """The first string in data that is not valid Unicode (a lone surrogate), escaped; or None."""
    todo = [data]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                shown = ascii(item)
                return shown if len(shown) <= _MAX_INPUT_CHARS else shown[:_MAX_INPUT_CHARS] + "..."
        elif isinstance(item, dict):
            todo.extend(item)
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return None


def validate_reply(data: dict[str, Any], model: type[ModelT]) -> ModelT:
    """data as model; ReplyValidationError with a short summary of what does not match."""
    # A lone surrogate (JSON "\ud800") can be neither written to a file nor to a report.
    bad = _not_text(data)
    if bad is not None:
        problem = f"a string holds a lone surrogate, which is not text: {bad}; send valid Unicode"
        raise ReplyValidationError(f"the reply is refused: {problem}", [problem])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors()]
    listed = "; ".join(problems[:_MAX_LISTED_PROBLEMS])
    hidden = len(problems) - _MAX_LISTED_PROBLEMS
    more = f" (and {hidden} more)" if hidden > 0 else ""
    message = f"the reply does not match the {model.__name__} schema: {listed}{more}"
    raise ReplyValidationError(message, problems)


def reprompt_text(error: str, schema: dict[str, Any]) -> str:
    """The instruction appended to the original request for the one re-prompt."""
    if len(error) > _MAX_REPROMPT_ERROR_CHARS:
        error = error[:_MAX_REPROMPT_ERROR_CHARS] + "..."
    return (
        f"Your previous reply could not be used: {error}\n\n"
        "Answer again with only one valid JSON object that matches the JSON schema below: "
        "no prose before or after it, double-quoted keys and strings, newlines inside strings "
        "written as \\n.\n\n"
        f"{json.dumps(schema, indent=2, sort_keys=True)}"
    )
