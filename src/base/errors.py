"""The few exception types that steer control flow; each carries one user-facing sentence."""


class AgentError(Exception):
    """Base of every error the CLI turns into a message and a non-zero exit."""

    exit_code = 1


class ConfigError(AgentError):
    """The configuration (file, environment or flags) is invalid."""


class StoreError(AgentError):
    """The state database cannot be opened or written."""


class ProviderAuthError(AgentError):
    """The provider refused the credentials (HTTP 401/403); no later call can succeed."""
