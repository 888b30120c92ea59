"""The Cedar gate: every write and every merge asks the policies in policies/, failing closed."""

from __future__ import annotations

import fnmatch
import json
import posixpath
from importlib import resources
from pathlib import Path
from typing import Any

import cedarpy
from pydantic import BaseModel, ConfigDict, Field

from self_improving_agent.base.errors import ConfigError
from self_improving_agent.base.safety_config import SafetySection

SCHEMA_FILE = "schema.cedarschema"
REQUIRED_POLICY_IDS = (
    "permit-write",
    "forbid-write-protected",
    "forbid-write-too-large",
    "permit-merge",
    "forbid-merge-too-many-files",
)
_AGENT_UID = {"type": "Agent", "id": "agent"}
# Cedar error texts can embed the whole entity list; reports need the gist, not the dump.
_MAX_ERROR_CHARS = 500


class PolicyDecision(BaseModel):
    """Cedar's answer to one request; only `allowed` gates anything."""

    model_config = ConfigDict(frozen=True)

    allowed: bool = Field(description="Cedar said Allow and nothing failed while evaluating.")
    decision: str = Field(description="Allow, Deny or NoDecision; error when Cedar failed.")
    policy_ids: list[str] = Field(default_factory=list, description="@id of deciding policies.")
    errors: list[str] = Field(default_factory=list, description="Evaluation or request errors.")


class MergeFacts(BaseModel):
    """What the loop knows about a generation when it asks to merge it."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    tests_passed: bool
    safety_passed: bool
    review_approved: bool
    score_delta: float = Field(description="Weighted benchmark total, after minus before.")
    files_changed: int = Field(ge=0)


def default_policies_dir() -> Path:
    """The policies/ folder shipped inside the package, as importlib.resources finds it."""
    return Path(str(resources.files("self_improving_agent").joinpath("policies")))


def _normalise(path: str) -> str | None:
    """A repo-relative POSIX path, or None when the path leaves the repository or enters .git."""
    unified = path.replace("\\", "/")
    if not unified or "\0" in unified or unified.startswith("/") or ":" in unified.split("/")[0]:
        return None
    normal = posixpath.normpath(unified)
    first = normal.split("/")[0]
    if first.casefold() in ("..", ".", ".git"):
        return None
    return normal


def is_protected_path(path: str, safety: SafetySection) -> bool:
    """Whether [safety] forbids writing path: protected, blocked or outside the repository."""
    normal = _normalise(path)
    if normal is None:
        return True
    # Case-insensitive file systems would let POLICIES/x.cedar reach policies/.
    folded = normal.casefold()
    for entry in safety.protected_paths:
        if ":[" in entry:
            # `file:[table]` protects one TOML table; the SafetyValidator compares its content.
            continue
        target = entry.replace("\\", "/").casefold()
        if target.endswith("/"):
            if folded == target.rstrip("/") or folded.startswith(target):
                return True
        elif folded == posixpath.normpath(target):
            return True
    name = posixpath.basename(folded)
    return any(
        fnmatch.fnmatchcase(name, pattern.casefold())
        or fnmatch.fnmatchcase(folded, pattern.casefold())
        for pattern in safety.blocked_patterns
    )


def _decimal(value: float) -> dict[str, Any]:
    """A Cedar decimal literal; Cedar keeps four fractional digits."""
    return {"__extn": {"fn": "decimal", "arg": f"{value:.4f}"}}


def _clip(message: str) -> str:
    """One error, short enough for a report line."""
    return message if len(message) <= _MAX_ERROR_CHARS else message[:_MAX_ERROR_CHARS] + "..."


class PolicyGate:
    """The loaded, schema-checked policies plus the [safety] values they are asked with."""

    def __init__(
        self, policies: cedarpy.PolicySet, schema: cedarpy.Schema, safety: SafetySection
    ) -> None:
        """Wrap a parsed cedarpy PolicySet and Schema; use PolicyGate.load to build one."""
        self._policies = policies
        self._schema = schema
        self._safety = safety

    @classmethod
    def load(cls, policies_dir: Path, safety: SafetySection) -> PolicyGate:
        """Read and validate policies_dir; ConfigError names the file and the problem."""
        if not policies_dir.is_dir():
            raise ConfigError(
                f"{policies_dir}: policies folder not found; restore policies/ from the agent"
            )
        schema_path = policies_dir / SCHEMA_FILE
        try:
            schema = cedarpy.Schema.from_str(_read(schema_path))
        except ValueError as exc:
            raise ConfigError(f"{schema_path}: invalid Cedar schema: {exc}") from None
        static: dict[str, dict[str, Any]] = {}
        where: dict[str, Path] = {}
        for path in sorted(policies_dir.glob("*.cedar")):
            for policy_id, policy in _file_policies(path, schema).items():
                if policy_id in static:
                    raise ConfigError(
                        f"{path}: policy id '{policy_id}' is also used in {where[policy_id]}; "
                        "give every policy a unique @id"
                    )
                static[policy_id] = policy
                where[policy_id] = path
        missing = [pid for pid in REQUIRED_POLICY_IDS if pid not in static]
        if missing:
            raise ConfigError(
                f"{policies_dir}: required policies missing: {', '.join(missing)}; "
                "restore them from the agent's policies/"
            )
        document = {"templates": {}, "staticPolicies": static, "templateLinks": []}
        try:
            policies = cedarpy.PolicySet.from_json_str(json.dumps(document))
        except ValueError as exc:
            raise ConfigError(f"{policies_dir}: policies cannot be combined: {exc}") from None
        return cls(policies, schema, safety)

    def authorize_write(self, path: str, lines_changed: int, new_file: bool) -> PolicyDecision:
        """Ask `write` for one file write of lines_changed added plus removed lines."""
        if lines_changed < 0:
            return PolicyDecision(
                allowed=False, decision="error", errors=["lines_changed must not be negative"]
            )
        file_id = _normalise(path) or path
        resource = {"type": "File", "id": file_id}
        attrs = {"path": file_id, "protected": is_protected_path(path, self._safety)}
        context = {"lines_changed": lines_changed, "new_file": new_file}
        return self._ask("write", resource, attrs, context)

    def authorize_merge(self, facts: MergeFacts) -> PolicyDecision:
        """Ask `merge` for a generation with the given gate verdicts."""
        resource = {"type": "Generation", "id": "current"}
        attrs = facts.model_dump()
        attrs["score_delta"] = _decimal(facts.score_delta)
        return self._ask("merge", resource, attrs, {})

    def _ask(
        self,
        action: str,
        resource: dict[str, str],
        attrs: dict[str, Any],
        context: dict[str, Any],
    ) -> PolicyDecision:
        """One Cedar request; anything but a clean Allow denies."""
        agent_attrs = {
            "max_lines_per_write": self._safety.max_lines_per_write,
            "max_files_per_generation": self._safety.max_files_per_generation,
        }
        entities: list[dict[str, Any]] = [
            {"uid": _AGENT_UID, "attrs": agent_attrs, "parents": []},
            {"uid": resource, "attrs": attrs, "parents": []},
        ]
        request = {
            "principal": _AGENT_UID,
            "action": {"type": "Action", "id": action},
            "resource": resource,
            "context": context,
        }
        try:
            result = cedarpy.is_authorized(request, self._policies, entities, self._schema)
            decision = str(result.decision.value)
            reasons = [str(reason) for reason in result.diagnostics.reasons]
            errors = [_clip(str(error)) for error in result.diagnostics.errors]
        except Exception as exc:  # Fail closed: whatever goes wrong inside Cedar denies.
            return PolicyDecision(
                allowed=False, decision="error", errors=[_clip(f"{type(exc).__name__}: {exc}")]
            )
        return PolicyDecision(
            allowed=decision == "Allow" and not errors,
            decision=decision,
            policy_ids=reasons,
            errors=errors,
        )


def _read(path: Path) -> str:
    """A policy or schema file's text; ConfigError when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: file not found; restore it from the agent's policies/"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the file ({exc})") from None


def _file_policies(path: Path, schema: cedarpy.Schema) -> dict[str, dict[str, Any]]:
    """The policies of one .cedar file keyed by @id, after checking them against the schema."""
    text = _read(path)
    try:
        document = json.loads(cedarpy.policies_to_json_str(text))
    except ValueError as exc:
        raise ConfigError(f"{path}: Cedar syntax error: {exc}") from None
    if document.get("templates"):
        raise ConfigError(f"{path}: policy templates are not supported; write static policies")
    internal: dict[str, dict[str, Any]] = document.get("staticPolicies", {})
    names: dict[str, str] = {}
    for internal_id, policy in internal.items():
        policy_id = policy.get("annotations", {}).get("id")
        if not policy_id:
            raise ConfigError(f'{path}: a policy has no @id("..."); give every policy a unique @id')
        if policy_id in names.values():
            raise ConfigError(f"{path}: policy id '{policy_id}' is used twice; make it unique")
        names[internal_id] = policy_id
    result = cedarpy.validate_policies(text, schema)
    if not result.validation_passed:
        error = result.errors[0]
        policy_id = names.get(error.policy_id, error.policy_id)
        message = str(error.error).replace(f"`{error.policy_id}`", f"`{policy_id}`")
        raise ConfigError(f"{path}: policy '{policy_id}' does not match {SCHEMA_FILE}: {message}")
    return {names[internal_id]: policy for internal_id, policy in internal.items()}
