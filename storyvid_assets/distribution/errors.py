"""Errors raised while publishing; each names the platform and says what happens next."""

from __future__ import annotations

from datetime import datetime

from storyvid_assets.errors import ConfigError, ProviderError, StoryVidError


class PlatformError(ProviderError):
    """One platform call failed. ``retryable`` says whether the same step may succeed if tried again."""

    def __init__(
        self,
        platform: str,
        step: str,
        message: str,
        *,
        retryable: bool = False,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.step = step
        self.status = status
        self.code = code
        detail = f" (HTTP {status}{', ' + code if code else ''})" if status or code else ""
        super().__init__(platform, f"{step}: {message}{detail}", retryable=retryable, retry_after=retry_after)


class AuthExpired(PlatformError):
    """The access token was refused; refresh it and try the step again."""

    def __init__(
        self, platform: str, step: str, message: str, *, status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(platform, step, message, retryable=True, status=status, code=code)


class HandleExpired(PlatformError):
    """The server no longer knows a saved handle (upload session, container); start that step again."""

    def __init__(
        self, platform: str, step: str, message: str, *, status: int | None = None, code: str | None = None
    ) -> None:
        super().__init__(platform, step, message, retryable=False, status=status, code=code)


class QuotaExhausted(PlatformError):
    """A quota or posting cap is used up; the upload waits until ``resume_at``."""

    def __init__(
        self,
        platform: str,
        step: str,
        message: str,
        *,
        resume_at: datetime,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        self.resume_at = resume_at
        super().__init__(
            platform, step, f"{message}; resumes at {resume_at.isoformat()}", retryable=False, status=status, code=code
        )


class RetriesExhausted(PlatformError):
    """A step failed on every allowed attempt."""

    def __init__(self, platform: str, step: str, attempts: int, last: BaseException) -> None:
        self.attempts = attempts
        self.last = last
        super().__init__(platform, step, f"gave up after {attempts} attempts; last error: {last}", retryable=False)


class CircuitOpen(StoryVidError):
    """Too many recent failures on a platform; calls are paused until ``reopen_at``."""

    def __init__(self, platform: str, reopen_at: datetime) -> None:
        self.platform = platform
        self.reopen_at = reopen_at
        super().__init__(f"{platform}: circuit open after repeated failures; calls pause until {reopen_at.isoformat()}")


class LimitExceeded(StoryVidError):
    """The video or its text breaks a platform limit; found before any byte is sent."""

    def __init__(self, platform: str, violations: list[str]) -> None:
        self.platform = platform
        self.violations = violations
        super().__init__(f"{platform}: " + "; ".join(violations))


class CredentialsMissing(ConfigError):
    """A platform is listed for a channel but its credentials are not in the environment."""

    def __init__(self, platform: str, env_vars: list[str]) -> None:
        self.platform = platform
        self.env_vars = env_vars
        super().__init__(
            f"{platform} credentials",
            ", ".join(env_vars),
            "not set in the environment",
            f"export {', '.join(env_vars)} (see README 'Distribution'), or remove {platform} from the channel's "
            "platforms",
        )


class CreateUncertain(PlatformError):
    """A create that is not idempotent was sent but its answer never came back (lost, or the process died):
    the post may exist. Nothing is created again until ``check_at``, when the platform's list is checked again."""

    def __init__(self, platform: str, step: str, message: str, *, check_at: datetime) -> None:
        self.check_at = check_at
        super().__init__(platform, step, f"{message}; next check at {check_at.isoformat()}", retryable=False)


class AnswerLost(PlatformError):
    """A non-idempotent create was sent and no answer came back (connection dropped, timeout)."""

    def __init__(self, platform: str, step: str, message: str) -> None:
        super().__init__(platform, step, f"no answer: {message}", retryable=False)
