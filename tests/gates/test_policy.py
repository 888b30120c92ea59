"""PolicyGate: the shipped Cedar policies, their schema, and failing closed."""

from __future__ import annotations

import shutil
from pathlib import Path

import cedarpy
import pytest

from self_improving_agent.base.errors import ConfigError
from self_improving_agent.base.safety_config import SafetySection
from self_improving_agent.gates.policy import (
    REQUIRED_POLICY_IDS,
    SCHEMA_FILE,
    MergeFacts,
    PolicyGate,
    default_policies_dir,
    is_protected_path,
)

# The shipped protections plus a user's own folders, as the agent once protected its source.
OWN = SafetySection(
    protected_paths=[*SafetySection().protected_paths, "src/gates/", "src/policies/", ".ci/"]
)
SAFETY = OWN.model_copy(update={"max_lines_per_write": 100, "max_files_per_generation": 3})


@pytest.fixture(scope="module")
def gate() -> PolicyGate:
    """The shipped policies with small limits."""
    return PolicyGate.load(default_policies_dir(), SAFETY)


@pytest.fixture
def policies_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped policies folder."""
    return Path(shutil.copytree(default_policies_dir(), tmp_path / "policies"))


def green(**changes: object) -> MergeFacts:
    """Merge facts that pass every policy, with some fields changed."""
    facts = {
        "tests_passed": True,
        "safety_passed": True,
        "review_approved": True,
        "score_delta": 0.02,
        "files_changed": 2,
    }
    return MergeFacts.model_validate({**facts, **changes})


def test_default_dir_is_the_package_policies_folder() -> None:
    assert default_policies_dir() == Path(__file__).resolve().parents[2] / "src" / "policies"


def test_shipped_policies_validate_against_the_schema() -> None:
    folder = default_policies_dir()
    schema = cedarpy.Schema.from_str((folder / SCHEMA_FILE).read_text(encoding="utf-8"))
    files = sorted(folder.glob("*.cedar"))
    text = "\n".join(path.read_text(encoding="utf-8") for path in files)
    result = cedarpy.validate_policies(text, schema)
    assert result.validation_passed, [str(error) for error in result.errors]
    policies = cedarpy.policies_to_pst(text).static_policies.values()
    assert sorted(policy.annotations["id"] for policy in policies) == sorted(REQUIRED_POLICY_IDS)


@pytest.mark.parametrize(
    ("path", "lines", "allowed", "policy_ids"),
    [
        ("src/core/session.py", 10, True, ["permit-write"]),
        ("src/new_module.py", 100, True, ["permit-write"]),
        ("src/gates/safety.py", 1, False, ["forbid-write-protected"]),
        ("src/policies/write.cedar", 1, False, ["forbid-write-protected"]),
        ("src/big.py", 101, False, ["forbid-write-too-large"]),
        (
            "src/policies/merge.cedar",
            500,
            False,
            ["forbid-write-protected", "forbid-write-too-large"],
        ),
    ],
)
def test_write_requests(
    gate: PolicyGate, path: str, lines: int, allowed: bool, policy_ids: list[str]
) -> None:
    decision = gate.authorize_write(path, lines, new_file=False)
    assert decision.allowed is allowed
    assert decision.decision == ("Allow" if allowed else "Deny")
    assert sorted(decision.policy_ids) == sorted(policy_ids)
    assert decision.errors == []


@pytest.mark.parametrize(
    "path",
    [
        "src/gates/safety.py",
        "./src/gates/safety.py",
        "src/../src/gates/safety.py",
        "SRC/gates/Safety.py",
        "src/policies",
        "src/policies/new.cedar",
        "src\\policies\\write.cedar",
        ".ci/run.sh",
        ".env",
        "deploy/.env.production",
        "certs/server.pem",
        "id.key",
        "../outside.py",
        "/etc/passwd",
        "C:/Windows/x.py",
        ".git/config",
        ".GIT/hooks/pre-commit",
        "deploy/.ENV",
        "certs/SERVER.PEM",
        "",
    ],
)
def test_protected_paths(path: str) -> None:
    assert is_protected_path(path, OWN)


@pytest.mark.parametrize(
    "path",
    [
        "src/core/session.py",
        "policies_notes.md",
        "config/agent.toml",
        "docs/policies/x.md",
        "env.py",
    ],
)
def test_unprotected_paths(path: str) -> None:
    assert not is_protected_path(path, SafetySection())


def test_protected_paths_come_from_the_settings(policies_copy: Path) -> None:
    safety = SafetySection(protected_paths=["docs/"], blocked_patterns=[])
    gate = PolicyGate.load(policies_copy, safety)
    assert gate.authorize_write("src/gates/safety.py", 1, new_file=False).allowed
    assert gate.authorize_write("docs/index.md", 1, new_file=True).policy_ids == [
        "forbid-write-protected"
    ]


def test_line_limit_comes_from_the_settings() -> None:
    gate = PolicyGate.load(default_policies_dir(), SafetySection(max_lines_per_write=5))
    assert gate.authorize_write("a.py", 5, new_file=True).allowed
    assert not gate.authorize_write("a.py", 6, new_file=True).allowed


def test_negative_line_count_is_denied(gate: PolicyGate) -> None:
    decision = gate.authorize_write("a.py", -1, new_file=False)
    assert (decision.allowed, decision.decision) == (False, "error")


def test_line_count_beyond_cedar_long_is_denied(gate: PolicyGate) -> None:
    decision = gate.authorize_write("a.py", 2**64, new_file=False)
    assert not decision.allowed
    assert decision.decision == "NoDecision"
    assert decision.errors


def test_green_merge_is_allowed(gate: PolicyGate) -> None:
    decision = gate.authorize_merge(green())
    assert decision.model_dump() == {
        "allowed": True,
        "decision": "Allow",
        "policy_ids": ["permit-merge"],
        "errors": [],
    }


@pytest.mark.parametrize(
    "change", [{"tests_passed": False}, {"safety_passed": False}, {"review_approved": False}]
)
def test_merge_without_a_green_gate_is_denied(gate: PolicyGate, change: dict[str, bool]) -> None:
    decision = gate.authorize_merge(green(**change))
    assert (decision.allowed, decision.decision, decision.policy_ids) == (False, "Deny", [])


def test_merge_of_too_many_files_is_denied(gate: PolicyGate) -> None:
    assert gate.authorize_merge(green(files_changed=3)).allowed
    decision = gate.authorize_merge(green(files_changed=4))
    assert not decision.allowed
    assert decision.policy_ids == ["forbid-merge-too-many-files"]


@pytest.mark.parametrize("delta", [-0.5, 0.0, 0.00001, 123.4567])
def test_score_delta_reaches_cedar_as_a_decimal(gate: PolicyGate, delta: float) -> None:
    assert gate.authorize_merge(green(score_delta=delta)).allowed


def test_score_delta_outside_cedar_decimal_range_is_denied(gate: PolicyGate) -> None:
    decision = gate.authorize_merge(green(score_delta=1e30))
    assert not decision.allowed
    assert "score_delta" in decision.errors[0]


@pytest.mark.parametrize("delta", [float("nan"), float("inf")])
def test_merge_facts_reject_non_finite_scores(delta: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        green(score_delta=delta)


def test_evaluation_error_denies_even_when_cedar_allows(policies_copy: Path) -> None:
    write = policies_copy / "write.cedar"
    text = write.read_text(encoding="utf-8")
    overflowing = "context.lines_changed * 4611686018427387904 > principal.max_lines_per_write"
    write.write_text(
        text.replace("context.lines_changed > principal.max_lines_per_write", overflowing),
        encoding="utf-8",
    )
    gate = PolicyGate.load(policies_copy, SAFETY)
    decision = gate.authorize_write("a.py", 2, new_file=False)
    assert decision.decision == "Allow"
    assert not decision.allowed
    assert "overflow" in decision.errors[0]
    assert "forbid-write-too-large" in decision.errors[0]


def test_no_matching_permit_denies(policies_copy: Path) -> None:
    merge = policies_copy / "merge.cedar"
    merge.write_text(
        merge.read_text(encoding="utf-8").replace(
            "resource.tests_passed && resource.safety_passed", "false && resource.safety_passed"
        ),
        encoding="utf-8",
    )
    decision = PolicyGate.load(policies_copy, SAFETY).authorize_merge(green())
    assert (decision.allowed, decision.decision) == (False, "Deny")


def test_cedar_failure_is_an_error_decision(
    gate: PolicyGate, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(cedarpy, "is_authorized", broken)
    decision = gate.authorize_merge(green())
    assert decision.model_dump() == {
        "allowed": False,
        "decision": "error",
        "policy_ids": [],
        "errors": ["RuntimeError: engine exploded"],
    }


def _load_error(folder: Path) -> str:
    """The ConfigError message of loading folder."""
    with pytest.raises(ConfigError) as info:
        PolicyGate.load(folder, SAFETY)
    return str(info.value)


def test_missing_folder(tmp_path: Path) -> None:
    assert "policies folder not found" in _load_error(tmp_path / "nope")


def test_missing_schema(policies_copy: Path) -> None:
    (policies_copy / SCHEMA_FILE).unlink()
    message = _load_error(policies_copy)
    assert SCHEMA_FILE in message
    assert "file not found" in message


def test_garbled_schema(policies_copy: Path) -> None:
    (policies_copy / SCHEMA_FILE).write_text("entity {", encoding="utf-8")
    assert "invalid Cedar schema" in _load_error(policies_copy)


def test_missing_policy_file(policies_copy: Path) -> None:
    (policies_copy / "merge.cedar").unlink()
    message = _load_error(policies_copy)
    assert "required policies missing: permit-merge, forbid-merge-too-many-files" in message


def test_garbled_policy_file(policies_copy: Path) -> None:
    (policies_copy / "merge.cedar").write_text("permit (principal, action", encoding="utf-8")
    message = _load_error(policies_copy)
    assert message.startswith(f"{policies_copy / 'merge.cedar'}: Cedar syntax error")


def test_undecodable_policy_file(policies_copy: Path) -> None:
    (policies_copy / "merge.cedar").write_bytes(b"\xff\xfe permit")
    assert "cannot read the file" in _load_error(policies_copy)


def test_policy_not_matching_the_schema(policies_copy: Path) -> None:
    merge = policies_copy / "merge.cedar"
    merge.write_text(
        merge.read_text(encoding="utf-8").replace("resource.files_changed", "resource.files"),
        encoding="utf-8",
    )
    message = _load_error(policies_copy)
    assert message.startswith(f"{merge}: policy 'forbid-merge-too-many-files' does not match")
    assert "`forbid-merge-too-many-files`" in message
    assert "policy1" not in message


def test_policy_without_id(policies_copy: Path) -> None:
    extra = policies_copy / "extra.cedar"
    extra.write_text('forbid (principal, action == Action::"merge", resource);', encoding="utf-8")
    assert _load_error(policies_copy).startswith(f"{extra}: a policy has no @id")


def test_duplicate_id_across_files(policies_copy: Path) -> None:
    extra = policies_copy / "extra.cedar"
    extra.write_text(
        '@id("permit-write")\nforbid (principal, action == Action::"write", resource);',
        encoding="utf-8",
    )
    message = _load_error(policies_copy)
    assert "'permit-write' is also used in" in message


def test_duplicate_id_in_one_file(policies_copy: Path) -> None:
    extra = policies_copy / "extra.cedar"
    rule = '@id("x")\nforbid (principal, action == Action::"write", resource);\n'
    extra.write_text(rule * 2, encoding="utf-8")
    assert "'x' is used twice" in _load_error(policies_copy)


def test_templates_are_refused(policies_copy: Path) -> None:
    extra = policies_copy / "extra.cedar"
    extra.write_text(
        '@id("t")\npermit (principal == ?principal, action == Action::"write", resource);',
        encoding="utf-8",
    )
    assert "templates are not supported" in _load_error(policies_copy)


def test_extra_policies_take_part(policies_copy: Path) -> None:
    extra = policies_copy / "extra.cedar"
    extra.write_text(
        '@id("no-docs")\nforbid (principal, action == Action::"write", resource)\n'
        'when { resource.path like "docs/*" };',
        encoding="utf-8",
    )
    gate = PolicyGate.load(policies_copy, SAFETY)
    assert gate.authorize_write("docs/a.md", 1, new_file=True).policy_ids == ["no-docs"]
    assert gate.authorize_write("src/a.py", 1, new_file=True).allowed
