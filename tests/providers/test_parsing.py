"""Parsing model replies: JSON extraction, schema validation and the re-prompt text."""

from __future__ import annotations

import contextlib
import json
import time

import pytest

from self_improving_agent.base.errors import (
    AgentError,
    ReplyError,
    ReplyValidationError,
    ResponseParseError,
)
from self_improving_agent.base.models import Build, Plan, Review
from self_improving_agent.providers.parsing import (
    parse_json_response,
    reprompt_text,
    validate_reply,
)

PLAN = {"title": "Add docstrings", "files_to_modify": ["src/a.py"]}
PLAN_JSON = json.dumps(PLAN)
FENCE = "```"


@pytest.mark.parametrize(
    "text",
    [
        PLAN_JSON,
        f"  \n{PLAN_JSON}\n\n",
        f"{FENCE}json\n{PLAN_JSON}\n{FENCE}",
        f"{FENCE}JSON\n{PLAN_JSON}\n{FENCE}\n",
        f"{FENCE}\n{PLAN_JSON}\n{FENCE}",
        f"{FENCE}json {PLAN_JSON} {FENCE}",
        f"Here is my plan:\n\n{FENCE}json\n{PLAN_JSON}\n{FENCE}\n\nLet me know if it helps.",
        f"Sure! {PLAN_JSON} That is all.",
        f"I'll think about {{the options}} first.\n{PLAN_JSON}",
        f'He said "hi" and left.\n{PLAN_JSON}\nAnd "bye".',
        f"{FENCE}json\n{{not json}}\n{FENCE}\n{FENCE}json\n{PLAN_JSON}\n{FENCE}",
        f'{PLAN_JSON}\n{FENCE}json\n{{"title": "second", "files_to_modify": []}}\n{FENCE}',
        f"Use a {{ to open a block.\n{FENCE}json\n{PLAN_JSON}\n{FENCE}",
        f'A stray {{ and a stray " quote.\n{FENCE}\n{PLAN_JSON}\n{FENCE}',
        json.dumps(PLAN, indent=4),
    ],
    ids=[
        "bare",
        "whitespace",
        "json-fence",
        "upper-tag",
        "untagged-fence",
        "one-line-fence",
        "prose-around-fence",
        "prose-around-bare",
        "balanced-braces-in-prose",
        "quotes-in-prose",
        "first-fence-invalid",
        "first-valid-wins",
        "unclosed-brace-in-prose",
        "stray-brace-and-quote",
        "indented",
    ],
)
def test_finds_the_plan(text: str) -> None:
    assert parse_json_response(text) == PLAN


@pytest.mark.parametrize(
    "content",
    [
        "def f():\n    return {'a': {1: 2}}\n",
        "}}}} {{{{ unbalanced braces",
        f"{FENCE}python\nprint('x')\n{FENCE}\n",
        'a "quoted" word and a backslash \\ and \\"',
        '{"looks": "like json"}',
        "",
    ],
    ids=["code", "unbalanced", "fence", "escapes", "json-in-string", "empty"],
)
def test_strings_may_hold_anything(content: str) -> None:
    build = {"changes": [{"file": "a.py", "content": content}], "summary": "x"}
    text = f"Here you go:\n{FENCE}json\n{json.dumps(build)}\n{FENCE}\nDone."
    assert parse_json_response(text) == build


def test_literal_newlines_inside_strings_are_repaired() -> None:
    text = '{"changes": [{"file": "a.py", "content": "line one\nline two\n\tindented\n"}]}'
    assert parse_json_response(text)["changes"][0]["content"] == "line one\nline two\n\tindented\n"


def test_literal_newlines_with_fences_inside_strings() -> None:
    text = (
        f"{FENCE}json\n"
        '{"changes": [{"file": "README.md", "content": "# Title\n'
        f"{FENCE}bash\nmake test\n{FENCE}\n"
        '"}], "summary": "docs"}\n'
        f"{FENCE}"
    )
    reply = parse_json_response(text)
    assert reply["changes"][0]["content"] == f"# Title\n{FENCE}bash\nmake test\n{FENCE}\n"


def test_nested_objects_are_returned_whole() -> None:
    review = {"approved": True, "score": 0.8, "findings": [{"severity": "minor", "message": "x"}]}
    assert parse_json_response(f"Review: {json.dumps(review)}") == review


def test_invalid_outer_object_does_not_yield_an_inner_one() -> None:
    text = '{"changes": [{"file": "a.py", "content": "x"},]}'
    with pytest.raises(ResponseParseError, match="invalid JSON at line 1"):
        parse_json_response(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "there is no '{' in it"),
        ("I cannot help with that.", "there is no '{' in it"),
        ("[1, 2, 3]", "there is no '{' in it"),
        ("{'title': 'single quotes'}", "line 1: object keys must be double-quoted strings"),
        ('{"title": "x",}', "invalid JSON at line 1"),
        ('prose\n\n{"title":\n "x" "y"}', "invalid JSON at line 4: Expecting ','"),
        ('{"score": NaN}', "NaN is not valid JSON"),
        ('{"score": -Infinity}', "-Infinity is not valid JSON"),
        ('ok\n{"changes": [{"file": "a.py", "content": "cut', "line 2 is never closed"),
        ('{"title": "x"', "line 1 is never closed"),
        ('{"a": ' * 5000 + "1" + "}" * 5000, "nested 5000 levels deep; the limit is 64"),
        ('{"a": ' + "[" * 65 + "]" * 65 + "}", "nested 66 levels deep; the limit is 64"),
        ('{"a": 1 "b": 2}\n{x}\n{"a":', "line 1: Expecting ','"),
    ],
    ids=[
        "empty",
        "refusal",
        "array",
        "single-quotes",
        "trailing-comma",
        "line-number",
        "nan",
        "infinity",
        "truncated",
        "unclosed",
        "deep",
        "deep-arrays",
        "largest-failure-reported",
    ],
)
def test_unusable_replies(text: str, reason: str) -> None:
    with pytest.raises(ResponseParseError) as info:
        parse_json_response(text)
    assert info.value.raw == text
    assert str(info.value).startswith("the reply holds no valid JSON object: ")
    assert reason in str(info.value)
    assert isinstance(info.value, AgentError)


def test_error_names_the_largest_failed_candidate() -> None:
    text = '{x}\n\n{"title": "a" "b", "files_to_modify": []}'
    with pytest.raises(ResponseParseError, match="line 3: Expecting ','"):
        parse_json_response(text)


def _timed(text: str) -> float:
    """CPU seconds one parse of text takes, whether it succeeds or not (load does not count)."""
    started = time.process_time()
    with contextlib.suppress(ResponseParseError):
        parse_json_response(text)
    return time.process_time() - started


def test_large_reply_is_fast() -> None:
    code = 'def f(x):\n    return {"k": [x, "}", "{"]}  # ```\n' * 4000
    build = {"changes": [{"file": f"m{i}.py", "content": code} for i in range(1)], "summary": "s"}
    text = "Prose {with braces} first.\n```json\n" + json.dumps(build) + "\n```\nThanks!"
    assert len(text) > 200_000
    started = time.process_time()
    assert parse_json_response(text) == build
    assert time.process_time() - started < 2.0


@pytest.mark.parametrize(
    "text",
    [
        "{" * 100_000,
        "{x}" * 70_000,
        '{"' * 100_000,
        "```\n{\n" * 50_000,
        "{" * 100_000 + "\n```json\n" + PLAN_JSON + "\n```",
    ],
    ids=["open-braces", "many-invalid", "open-strings", "unclosed-fences", "then-valid"],
)
def test_pathological_replies_stay_linear(text: str) -> None:
    assert _timed(text) < 2.0


def test_valid_object_after_pathological_prefix_is_found() -> None:
    text = "{" * 100_000 + "\n```json\n" + PLAN_JSON + "\n```"
    assert parse_json_response(text) == PLAN


def test_validate_reply_returns_the_model() -> None:
    plan = validate_reply(PLAN, Plan)
    assert plan.title == "Add docstrings"
    assert plan.files_to_modify == ["src/a.py"]


def test_validate_reply_ignores_unknown_keys() -> None:
    review = validate_reply(
        {"approved": False, "score": 0.2, "findings": [], "mood": "meh"}, Review
    )
    assert review.approved is False


@pytest.mark.parametrize(
    ("data", "model", "expected"),
    [
        ({}, Plan, ["title: Field required", "files_to_modify: Field required"]),
        (
            {"title": "x", "files_to_modify": []},
            Plan,
            ["files_to_modify: List should have at least 1 item after validation, not 0 (got [])"],
        ),
        (
            {"changes": [{"file": "a.py", "content": "x", "op": "delete"}]},
            Build,
            [
                "changes.0.op: Input should be 'create', 'replace', 'insert_after', "
                "'insert_before', 'append' or 'prepend' (got 'delete')"
            ],
        ),
        (
            {"approved": "maybe", "score": 1.5, "findings": []},
            Review,
            [
                "approved: Input should be a valid boolean, unable to interpret input "
                "(got 'maybe')",
                "score: Input should be less than or equal to 1 (got 1.5)",
            ],
        ),
    ],
    ids=["missing", "empty-list", "bad-op", "bad-types"],
)
def test_validation_problems_are_readable(
    data: dict[str, object], model: type[Plan | Build | Review], expected: list[str]
) -> None:
    with pytest.raises(ReplyValidationError) as info:
        validate_reply(data, model)
    assert info.value.problems == expected
    assert str(info.value) == (
        f"the reply does not match the {model.__name__} schema: {'; '.join(expected)}"
    )
    assert isinstance(info.value, ReplyError)


def test_long_inputs_are_shortened_and_many_problems_counted() -> None:
    changes = [{"file": "a.py", "content": "x", "op": "b" * 500} for _ in range(7)]
    with pytest.raises(ReplyValidationError) as info:
        validate_reply({"changes": changes}, Build)
    assert len(info.value.problems) == 7
    assert all(len(problem) < 200 for problem in info.value.problems)
    assert str(info.value).endswith("(and 2 more)")
    assert str(info.value).count("changes.") == 5


def test_top_level_problem_has_a_location() -> None:
    with pytest.raises(ReplyValidationError, match=r"\(top level\): Input should be"):
        validate_reply([1, 2], Plan)  # type: ignore[arg-type]


def test_reprompt_quotes_the_error_and_the_schema() -> None:
    schema = Plan.model_json_schema()
    text = reprompt_text("title: Field required", schema)
    assert "title: Field required" in text
    assert "only one valid JSON object" in text
    schema_part = text[text.index("{") :]
    assert json.loads(schema_part) == schema


def test_reprompt_shortens_huge_errors() -> None:
    text = reprompt_text("e" * 10_000, {"type": "object"})
    assert "e" * 1500 + "..." in text
    assert "e" * 1501 not in text


def test_reprompt_round_trip_with_a_parse_error() -> None:
    with pytest.raises(ResponseParseError) as info:
        parse_json_response("no json here")
    text = reprompt_text(str(info.value), Review.model_json_schema())
    assert text.startswith("Your previous reply could not be used: the reply holds no valid JSON")
