"""Creates whose outcome is unknown: wait for the platform's list instead of creating again at once.

Facebook's ``{page}/videos``, Instagram's ``media_publish`` and Facebook's reel ``finish`` are not idempotent and
have no idempotency key. When such a call was sent but no answer came back (a lost answer, or a crash right
after it), the post may exist yet not be listed for a while (lists lag). The upload is then ``uncertain``: the
list is checked again with back-off (``deferred_until`` holds the next check; a sensor resumes it), and only
after the window has passed without the post showing up is it created again.

Journal keys: ``create_started_at`` (ISO time the create was sent, saved before it) and ``uncertain_checks``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from storyvid_assets.distribution.errors import CreateUncertain


@dataclass(frozen=True)
class UncertainRule:
    """How long to look for a post whose create answer was lost before creating it again."""

    window_min: float = 15.0  # after this long without the post in the list, create again
    first_check_s: float = 30.0  # the first re-check; each next one waits twice as long (capped by the window)

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_min)


def mark_create(work: Any, **updates: Any) -> None:
    """Save, before a non-idempotent create is sent, that it is being sent and when."""
    work.journal.save("create", create_started_at=work.clock.now().isoformat(), uncertain_checks=None, **updates)


def settle(work: Any, rule: UncertainRule, platform: str, step: str, look: Callable[[], str | None]) -> str | None:
    """After a create with no answer: the post's id if ``look`` finds it; ``None`` when the window has passed
    (create again); else raise :class:`CreateUncertain` with the time of the next check."""
    journal = work.journal
    found = look()
    if found:
        journal.save("uncertain_settled", uncertain_checks=None, create_started_at=None)
        return found
    now: datetime = work.clock.now()
    started = journal.get("create_started_at")
    since = datetime.fromisoformat(started) if started else now
    if not started:
        journal.save("uncertain", create_started_at=now.isoformat())
    if now - since >= rule.window:
        work.log(f"{platform} {step}: not listed {rule.window_min:g} min after an unanswered create; creating again")
        journal.save("uncertain_expired", uncertain_checks=None, create_started_at=None)
        return None
    checks = int(journal.get("uncertain_checks", 0))
    delay = timedelta(seconds=rule.first_check_s * 2**checks)
    check_at = min(now + delay, since + rule.window)
    journal.save("uncertain", uncertain_checks=checks + 1)
    raise CreateUncertain(
        platform,
        step,
        f"the create got no answer and the post is not listed yet (check {checks + 1}, "
        f"window {rule.window_min:g} min from {since.isoformat()})",
        check_at=check_at,
    )
