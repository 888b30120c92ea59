"""GitHub's answers as verdicts: check states, rate-limit waits and error sentences, no network."""

from __future__ import annotations

from self_improving_agent.git_ops.github_model import (
    CheckItem,
    api_error_sentence,
    check_run_state,
    rate_limit_wait,
    summarize_checks,
)

NOW = 1_767_000_000.0


def test_check_verdicts_are_pure() -> None:
    assert check_run_state("completed", "neutral") == "success"
    assert check_run_state("completed", "cancelled") == "failure"
    assert check_run_state("queued", None) == "pending"
    green = CheckItem(name="a", kind="status", state="success", detail="success")
    assert summarize_checks([green]) == "success"
    assert summarize_checks([]) == "pending"


def test_rate_limit_wait_is_pure() -> None:
    limited = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 12)}
    assert rate_limit_wait(403, limited, "API rate limit exceeded", NOW) == 12.0
    assert rate_limit_wait(403, {}, "You have exceeded a secondary rate limit", NOW) == 60.0
    assert rate_limit_wait(403, {}, "Resource not accessible by integration", NOW) is None
    assert rate_limit_wait(404, limited, "Not Found", NOW) is None


def test_error_sentences_name_the_fix() -> None:
    assert "GITHUB_TOKEN" in api_error_sentence(401, {"message": "Bad credentials"}, "push", "o/r")
    assert "Pull requests" in api_error_sentence(403, {}, "merge", "o/r")
    detail = {"message": "Validation Failed", "errors": [{"message": "a pull request exists"}]}
    assert api_error_sentence(422, detail, "open a PR", "o/r").endswith(
        "Validation Failed; a pull request exists"
    )
