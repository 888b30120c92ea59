"""Settings: one pydantic model of config/agent.toml, a section per component."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from self_improving_agent.base.model_catalogue import BEDROCK_DEFAULT_MODEL, SHIPPED_MODELS
from self_improving_agent.base.safety_config import SafetySection

ENV_PREFIX = "AGENT_"
DEFAULT_CONFIG_RELPATH = Path("config/agent.toml")


class _Section(BaseModel):
    """Base of every section: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class AgentSection(_Section):
    """The `[agent]` table: what the loop does and how it talks."""

    model: str = Field(
        "claude-sonnet-4-6", min_length=1, description="Model id sent to the provider."
    )
    provider: Literal["anthropic", "bedrock", "openai", "mock", "offline"] = Field(
        "anthropic", description="Which provider answers the personas."
    )
    max_generations: int = Field(100, ge=1, le=10_000, description="Upper bound for `agent loop`.")
    auto_merge: bool = Field(False, description="Merge accepted generations at once.")
    benchmark_threshold: float = Field(
        0.0, ge=-1.0, le=1.0, description="The weighted total must rise by more than this."
    )
    review_consensus: float = Field(
        0.6, ge=0.0, le=1.0, description="Minimum Reviewer score for a merge."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Lowest level written to the log."
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="Human text or one JSON object per line."
    )

    goals: list[str] = Field(
        default_factory=list, description="User goals the Architect should pursue (--goal)."
    )
    main_branch: str | None = Field(
        None,
        min_length=1,
        description="Branch generations start from; unset: HEAD's branch (detected).",
    )
    reports_dir: str = Field("reports", min_length=1, description="Where gen-N.json reports go.")
    max_consecutive_failures: int = Field(
        3, ge=1, le=100, description="The loop stops after this many failed generations in a row."
    )
    max_idle_generations: int = Field(
        2, ge=1, le=1000, description="The loop stops after this many no_change runs in a row."
    )
    repair_rounds: int = Field(
        2,
        ge=0,
        le=10,
        description="Chances the Builder gets to fix a regression its change caused (0: none).",
    )
    repo_map_tokens: int = Field(
        1200, ge=100, le=100_000, description="Token budget of the Architect's repository map."
    )
    significance: float = Field(
        0.05,
        gt=0.0,
        lt=1.0,
        description="A repeated benchmark's change counts only when its p-value is at most this.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        """Accept `info` as well as `INFO`."""
        return value.upper() if isinstance(value, str) else value


class AnthropicSection(_Section):
    """The `[providers.anthropic]` table."""

    base_url: str | None = Field(None, description="API base URL; ANTHROPIC_BASE_URL also works.")
    max_retries: int = Field(3, ge=0, le=10, description="SDK retries for 408/409/429/5xx.")
    timeout_s: float = Field(600.0, gt=0, le=3600, description="Request timeout in seconds.")


class BedrockSection(_Section):
    """The `[providers.bedrock]` table."""

    region: str | None = Field(None, description="AWS region; the usual AWS chain when unset.")
    endpoint_url: str | None = Field(None, description="bedrock-runtime endpoint override.")
    max_attempts: int = Field(4, ge=1, le=10, description="botocore standard-mode attempts.")
    timeout_s: float = Field(
        600.0, gt=0, le=3600, description="Read timeout of a converse call in seconds."
    )


class MockSection(_Section):
    """The `[providers.mock]` table."""

    script: str | None = Field(
        None, description="JSON script of replies to replay; AGENT_MOCK_SCRIPT also works."
    )


class OpenAISection(_Section):
    """The `[providers.openai]` table: OpenAI or any OpenAI-compatible server."""

    base_url: str | None = Field(
        None, description="API base URL (Ollama, vLLM, ...); OPENAI_BASE_URL also works."
    )
    max_retries: int = Field(2, ge=0, le=10, description="SDK retries for 408/409/429/5xx.")
    timeout_s: float = Field(600.0, gt=0, le=3600, description="Request timeout in seconds.")


StructuredOutput = Literal["json_schema", "tool", "text"]


class ModelSpec(_Section):
    """One catalogue entry; prices are USD per million tokens, unset means unpriced."""

    provider: Literal["anthropic", "bedrock", "openai"] = Field(
        description="The provider that serves this model id."
    )
    structured_output: StructuredOutput = Field(
        "json_schema",
        description="How replies are constrained: json_schema, a forced tool, or plain text.",
    )
    context_window: int | None = Field(None, ge=1, description="Input tokens the model accepts.")
    max_output: int | None = Field(None, ge=1, description="Output tokens the model can write.")
    input: float | None = Field(None, ge=0, description="USD per million input tokens.")
    output: float | None = Field(None, ge=0, description="USD per million output tokens.")
    cache_write: float | None = Field(
        None, ge=0, description="USD per million tokens written to the prompt cache."
    )
    cache_read: float | None = Field(
        None, ge=0, description="USD per million tokens read from the prompt cache."
    )

    @model_validator(mode="after")
    def _both_prices(self) -> ModelSpec:
        """Input and output prices come together: half a price would cost calls wrongly."""
        if (self.input is None) != (self.output is None):
            raise ValueError("set both input and output prices, or neither (unpriced)")
        return self


class ProvidersSection(_Section):
    """The `[providers]` table: one sub-table per provider and the model catalogue."""

    anthropic: AnthropicSection = Field(default_factory=AnthropicSection)
    bedrock: BedrockSection = Field(default_factory=BedrockSection)
    openai: OpenAISection = Field(default_factory=OpenAISection)
    mock: MockSection = Field(default_factory=MockSection)
    models: dict[str, ModelSpec] = Field(
        default_factory=lambda: {k: ModelSpec(**v) for k, v in SHIPPED_MODELS.items()},
        description="Model id -> provider, structured-output mode, limits and prices.",
    )

    @field_validator("models", mode="before")
    @classmethod
    def _over_shipped(cls, value: object) -> object:
        """The user's entries update the shipped catalogue key by key instead of replacing it."""
        if not isinstance(value, Mapping):
            return value
        merged: dict[str, Any] = {name: dict(spec) for name, spec in SHIPPED_MODELS.items()}
        for name, entry in value.items():
            if isinstance(entry, ModelSpec):
                entry = entry.model_dump()
            base = merged.get(name, {})
            merged[name] = {**base, **entry} if isinstance(entry, Mapping) else entry
        return merged


class BenchmarksSection(_Section):
    """The `[benchmarks]` table: where the benchmark config lives and how tools are confined."""

    config: str = Field(
        "config/benchmarks.json",
        min_length=1,
        description="Benchmark config, relative to the repo.",
    )
    cache: bool = Field(True, description="Answer unchanged trees from the benchmark cache.")
    cpu_time_limit_s: int = Field(
        600, ge=1, le=86_400, description="CPU-seconds limit of each tool subprocess."
    )
    memory_limit_mb: int = Field(
        4096, ge=64, le=262_144, description="Address-space limit of each tool subprocess."
    )
    pytest_workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Test processes (pytest-xdist) for parallel-safe suites.",
    )
    test_impact: bool = Field(
        False,
        description="Record which tests run which files in main's full run (per-test coverage"
        " contexts), so a candidate's affected tests run first and a lost one rejects it early.",
    )
    flaky_reruns: int = Field(
        2,
        ge=0,
        le=10,
        description="Reruns of a lost test on each tree; one that flips is flaky, not lost.",
    )
    max_module_lines: int = Field(
        1000, ge=50, le=100_000, description="file_organization: longest module that passes."
    )
    python: str | None = Field(
        None,
        description="Interpreter or venv that measures as is; unset: one built from main.",
    )


class SandboxSection(_Section):
    """The `[sandbox]` table: how every process running the target's code is contained."""

    mode: Literal["auto", "bwrap", "landlock", "off"] = Field(
        "auto",
        description="auto takes the strongest available (bwrap, then Landlock); off runs bare.",
    )


class GithubSection(_Section):
    """The `[github]` table: PR mode."""

    remote: str = Field(
        "origin", min_length=1, description="Git remote that branches are pushed to."
    )
    repo: str | None = Field(
        None, pattern=r"^[\w.-]+/[\w.-]+$", description="`owner/repo`; GITHUB_REPO also works."
    )
    api_url: str = Field("https://api.github.com", description="REST API base (GitHub Enterprise).")
    merge_method: Literal["merge", "squash", "rebase"] = Field(
        "merge", description="How PRs merge."
    )
    poll_interval_s: float = Field(60.0, gt=0, le=3600, description="Seconds between PR polls.")
    review_timeout_s: float = Field(
        86_400.0, gt=0, description="A PR unreviewed this long is closed and rejected."
    )
    require_checks: bool = Field(False, description="Merge only when the PR's checks are green.")
    rate_limit_max_wait_s: float = Field(
        900.0, ge=0, description="Longest wait for a GitHub rate limit to reset."
    )


class AgentcoreSection(_Section):
    """The `[agentcore]` table: AgentCore Memory shares lessons between machines, off by default."""

    enabled: bool = Field(False, description="Share lessons through AgentCore Memory.")
    region: str | None = Field(
        None, pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$", description="AWS region of the runtime."
    )
    endpoint_url: str | None = Field(
        None, pattern=r"^https?://\S+$", description="Runtime endpoint override."
    )
    memory_id: str | None = Field(None, description="AgentCore Memory id that lessons go to.")
    actor_id: str = Field("self-improving-agent", min_length=1, description="Memory actor id.")
    session_id: str | None = Field(
        None, description="Memory session id; by default one per repository (its first commit)."
    )


class Settings(_Section):
    """The whole configuration, as `config/agent.toml` spells it."""

    agent: AgentSection = Field(default_factory=AgentSection)
    providers: ProvidersSection = Field(default_factory=ProvidersSection)
    benchmarks: BenchmarksSection = Field(default_factory=BenchmarksSection)
    safety: SafetySection = Field(default_factory=SafetySection)
    sandbox: SandboxSection = Field(default_factory=SandboxSection)
    github: GithubSection = Field(default_factory=GithubSection)
    agentcore: AgentcoreSection = Field(default_factory=AgentcoreSection)

    @model_validator(mode="after")
    def _bedrock_model(self) -> Settings:
        """Bedrock never serves the Anthropic API's default id; use its own default instead."""
        default = AgentSection.model_fields["model"].default
        if self.agent.provider == "bedrock" and self.agent.model == default:
            self.agent.model = BEDROCK_DEFAULT_MODEL
        return self
