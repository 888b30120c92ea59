"""The JSON depth cap: brackets counted outside strings, in one pass."""

from __future__ import annotations

from self_improving_agent.base.limits import MAX_JSON_DEPTH, json_depth, json_depth_problem


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert json_depth('{"a": [1, {"b": "[[[{{{"}], "c": "\\"]]]"}') == 3
    assert json_depth("[]") == 1
    assert json_depth('"{{{"') == 0
    assert json_depth('{"cut": "[[[') == 1


def test_the_limit_is_inclusive_and_the_refusal_says_both_numbers() -> None:
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert json_depth_problem(at_limit) is None
    deeper = "[" + at_limit + "]"
    assert json_depth_problem(deeper) == (
        f"it is nested {MAX_JSON_DEPTH + 1} levels deep; the limit is {MAX_JSON_DEPTH}"
    )


def test_a_megabyte_of_brackets_or_one_unterminated_string_is_scanned_whole() -> None:
    # No wall-clock bound (it fails by chance on a loaded machine); a backtracking scan of the
    # unterminated string would not return at all.
    assert json_depth("[" * 1_000_000) == 1_000_000
    assert json_depth('"' + "\\x" * 500_000 + "[") == 0
