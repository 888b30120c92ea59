"""The one complete() the API providers share: fit the window, time the call, read the reply."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import Any, Generic, TypeVar

from self_improving_agent.base.config import ModelSpec, StructuredOutput
from self_improving_agent.providers.base import Completion, CompletionRequest, Usage
from self_improving_agent.providers.catalogue import OutputPath
from self_improving_agent.providers.pricing import cost_usd
from self_improving_agent.providers.window import fit_to_window

Reply = TypeVar("Reply")


class ApiProvider(ABC, Generic[Reply]):
    """A provider over a model API: each one says only how to ask and how to read the answer."""

    name: str
    model: str
    spec: ModelSpec | None
    path: OutputPath

    def complete(self, request: CompletionRequest) -> Completion:
        """Ask the model on the current path; a refused path is left for the next one, once."""
        request = fit_to_window(request, self.spec, self.model)
        started = time.perf_counter()
        reply = self.path.ask(lambda mode: self.ask_api(request, mode))
        latency_s = time.perf_counter() - started
        text, data = self.read_reply(reply, request)
        usage = self.read_usage(reply, request, text)
        return Completion(
            text=text,
            data=data,
            usage=usage,
            latency_s=latency_s,
            cost_usd=cost_usd(usage, self.spec),
            model=self.model,
        )

    @abstractmethod
    def ask_api(self, request: CompletionRequest, mode: StructuredOutput) -> Reply:
        """One call on mode's path; raises FeatureRefused when the API refuses that path."""

    @abstractmethod
    def read_reply(
        self, reply: Reply, request: CompletionRequest
    ) -> tuple[str, dict[str, Any] | None]:
        """The reply's text and its structured data, when there is some."""

    @abstractmethod
    def read_usage(self, reply: Reply, request: CompletionRequest, text: str) -> Usage:
        """The tokens the call used, as the API counted them or estimated."""
