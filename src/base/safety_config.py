"""The `[safety]` table on its own, so protecting it leaves the rest of the config editable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SafetySection(BaseModel):
    """The `[safety]` table: limits and protections the agent cannot edit."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    max_files_per_generation: int = Field(
        10, ge=1, le=1000, description="A build touching more files is rejected."
    )
    blocked_patterns: list[str] = Field(
        default_factory=lambda: [".env*", "*.pem", "*.key"],
        description="Glob patterns of files never sent to a model nor written.",
    )
    require_tests: bool = Field(True, description="Refuse to merge when no test ran.")
    protected_paths: list[str] = Field(
        # The judge's own settings need no entry: it reads them from its own commit for the
        # whole run and holds a change to them for a person.
        default_factory=list,
        description="Paths (a trailing / means a folder; file:[table] a TOML table) never written.",
    )
    protected_functions: list[str] = Field(
        default_factory=list,
        description="`path:function` whose body the agent may not change.",
    )

    max_lines_per_write: int = Field(
        400, ge=1, le=100_000, description="Cedar forbids a single write changing more lines."
    )
    smoke_commands: list[str] = Field(
        default_factory=list,
        description="Commands that must still succeed in the worktree before a merge.",
    )

    @field_validator("protected_functions")
    @classmethod
    def _path_colon_name(cls, value: list[str]) -> list[str]:
        """Every entry must look like `path/to/file.py:function`."""
        for item in value:
            path, _, name = item.partition(":")
            if not path.endswith(".py") or not all(p.isidentifier() for p in name.split(".")):
                raise ValueError(f"{item!r} is not of the form 'path/to/file.py:function_name'")
        return value
