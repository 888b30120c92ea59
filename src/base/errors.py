"""Every exception of the agent, all under AgentError; the CLI exits with each one's exit_code."""

import signal


class AgentError(Exception):
    """Base of every error the CLI turns into a message and a non-zero exit."""

    exit_code = 1


class ConfigError(AgentError):
    """The configuration (file, environment or flags) is invalid."""


class StoreError(AgentError):
    """The state database cannot be opened or written."""


class BenchmarkError(AgentError):
    """The target cannot be measured as asked (not a git repository, unknown benchmark, ...)."""


class GitError(AgentError):
    """A git operation failed; the message says which and why in one sentence."""


class MergeRefused(GitError):
    """A merge or revert was refused to protect main or the user's uncommitted work."""


class MergeConflict(MergeRefused):
    """The main line moved in a way that conflicts with the generation: it cannot go in as is."""


class GitHubError(AgentError):
    """A GitHub API call or a push failed; the message says why and what to do."""


class ProviderError(AgentError):
    """A provider could not answer; the phase fails with this message."""


class FixerError(AgentError):
    """An offline fixer's tool could not run."""


class ReportError(AgentError):
    """A report is missing, unreadable or not a valid generation report."""


class ReportArgumentError(ReportError):
    """The generation was named in a form that is neither a number nor 'latest'."""

    exit_code = 2


class ReplyError(AgentError):
    """A model reply that cannot be used; the loop asks once more, then fails the phase."""


class ResponseParseError(ReplyError):
    """The reply holds no valid JSON object; `raw` is the reply as received."""

    def __init__(self, message: str, raw: str) -> None:
        """Keep the raw reply for the log and the re-prompt."""
        super().__init__(message)
        self.raw = raw


class ReplyValidationError(ReplyError):
    """The reply's JSON does not match the persona's schema; `problems` lists each mismatch."""

    def __init__(self, message: str, problems: list[str]) -> None:
        """Keep every problem, not only those the message lists."""
        super().__init__(message)
        self.problems = problems


class PersonaReplyError(AgentError):
    """A persona's reply was unusable even after the one re-prompt."""


class EditFailure(AgentError):
    """A change cannot be applied; the message is shown to the Builder on its retry."""


class PhaseFailed(AgentError):
    """A phase could not complete; the generation ends rejected with this reason."""

    def __init__(self, phase: str, message: str) -> None:
        super().__init__(f"{phase}: {message}")
        self.phase = phase
        self.message = message


class MindError(PhaseFailed):
    """The mind could not start, crashed, hung or broke the protocol: the generation ends."""


class LockHeld(AgentError):
    """Another agent process holds the repository's lock."""


class ProviderAuthError(ProviderError):
    """The provider refused the credentials (401/403); asking again cannot help."""


class Stopped(KeyboardInterrupt):
    """A termination signal (SIGTERM, SIGHUP) arrived; unwinds like Ctrl-C, exits 128+signal.

    Not an AgentError on purpose: every `except Exception` that turns a failure into a rejected
    generation must let it pass, exactly as it lets Ctrl-C pass.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(self.signal_name)

    @property
    def signal_name(self) -> str:
        """SIGTERM, SIGHUP, ... as the user would name it."""
        return signal.Signals(self.signum).name
