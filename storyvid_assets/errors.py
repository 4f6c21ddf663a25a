"""Errors that tell the operator what is wrong, where, and how to fix it."""

from __future__ import annotations


class StoryVidError(Exception):
    """Base class for StoryVid's own errors."""


class ConfigError(StoryVidError):
    """A configuration problem: names the file, the field and the fix."""

    def __init__(self, source: str, field: str, problem: str, fix: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(f"{source}: field '{field}': {problem}. Fix: {fix}")


class ProviderError(StoryVidError):
    """A provider failed. ``retryable`` says whether the same call may succeed later, ``retry_after`` (seconds)
    when the provider said how long to wait first."""

    def __init__(
        self, provider: str, message: str, *, retryable: bool = False, retry_after: float | None = None
    ) -> None:
        self.provider = provider
        self.retryable = retryable
        self.retry_after = retry_after
        super().__init__(f"{provider}: {message}")
