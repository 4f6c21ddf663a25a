"""Console users: argon2id password hashes, roles, server-side login sessions, revoking access, login limits.

Only a hash of each password and of each session token is stored. The role always comes from the
database row of the logged-in user, never from anything the browser sends. New hashes are argon2id
(``argon2-cffi``); scrypt hashes of older catalogs still verify and are replaced at the next login.
Every change to a user is written to the console's audit trail with before and after (never a hash).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from storyvid_assets.catalog.queries import review as rows
from storyvid_assets.catalog.queries.console import add_console_audit
from storyvid_assets.catalog.tables.review import ReviewUserRow
from storyvid_assets.review.queue import ROLES, Conflict, NotAllowed, ReviewError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

SESSION_HOURS = 12
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024  # argon2 hashes anything, but a megabyte "password" is only a way to waste CPU
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
ACTOR_CHARS = 64  # a submitted user name recorded in the audit trail is cut to this


# argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 0.1 s per login on a small server
ARGON2_TIME_COST, ARGON2_MEMORY_KIB, ARGON2_PARALLELISM = 2, 19 * 1024, 1


@cache
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher  # the moderation extra: only user management needs it

    return PasswordHasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM)


def hash_password(password: str) -> str:
    """An argon2id hash (``$argon2id$...``) with a random salt."""
    return _hasher().hash(password)


def _verify_scrypt(password: str, stored: str) -> bool:
    """Hashes written before argon2: ``scrypt$n$r$p$salt$hash``."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def verify_password(password: str, stored: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a verified hash should be replaced (an old scheme, or argon2 parameters below today's)."""
    return stored.startswith("scrypt$") or _hasher().check_needs_rehash(stored)


@cache
def _dummy_hash() -> str:
    """One hash per process, verified for unknown users so that they cost what a wrong password costs."""
    return hash_password(secrets.token_hex(16))


@dataclass(frozen=True)
class Reviewer:
    id: int
    username: str
    role: str
    active: bool = True
    must_change_password: bool = False


def _reviewer(row: ReviewUserRow) -> Reviewer:
    return Reviewer(row.id, row.username, row.role, row.active, row.must_change_password)


def _state(session: Session, row: ReviewUserRow) -> dict[str, Any]:
    """What the audit trail records of a user (never the hash)."""
    return {"username": row.username, "role": row.role, "active": row.active,
            "must_change_password": row.must_change_password, "sessions": rows.login_count(session, row.id)}


def _audit(session: Session, actor: str, action: str, username: str, before: dict[str, Any],
           after: dict[str, Any], detail: str = "", client: str | None = None) -> None:
    add_console_audit(session, at=datetime.now(UTC), actor=actor[:128], action=action, target=f"user {username}",
                      before=before, after=after, detail=detail, client=client)


def _check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ReviewError(f"the {field} must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ReviewError(f"the {field} has {len(password)} characters; keep it under {MAX_PASSWORD_CHARS}")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ReviewError(f"role {role!r} is unknown; use one of {', '.join(ROLES)}")


def _user(session: Session, username: str) -> ReviewUserRow:
    row = rows.reviewer_by_name(session, username)
    if row is None:
        raise ReviewError(f"there is no user {username!r}; the users page or `storyvid review users list` shows them")
    return row


def temporary_password() -> str:
    """A one-time password an admin hands over; the user must replace it at the next login."""
    return secrets.token_urlsafe(12)


def create_user(session: Session, username: str, password: str, role: str, actor: str, *,
                must_change_password: bool = False, client: str | None = None) -> Reviewer:
    if not USERNAME_RE.match(username):
        raise ReviewError(f"username {username!r} must be 2-64 lowercase letters, digits, '.', '_' or '-'")
    _check_role(role)
    _check_password(password)
    if rows.reviewer_by_name(session, username):
        raise Conflict(f"user {username!r} exists already; use `storyvid review users set-role` to change the role")
    row = rows.add_reviewer(session, username, hash_password(password), role, must_change_password)
    _audit(session, actor, "user_created", username, {}, _state(session, row), client=client)
    return _reviewer(row)


def _keep_an_admin(session: Session, row: ReviewUserRow, what: str) -> None:
    """Refuse a change that would leave no active admin (nobody could manage users any more)."""
    if row.role == "admin" and row.active and rows.active_admin_count(session) <= 1:
        raise Conflict(f"{row.username} is the only active admin; make another user admin before you {what}")


def set_role(session: Session, username: str, role: str, actor: str, *, client: str | None = None) -> Reviewer:
    _check_role(role)
    row = _user(session, username)
    if role != "admin":
        _keep_an_admin(session, row, f"make them {role}")
    before = _state(session, row)
    row.role = role
    session.flush()
    _audit(session, actor, "role_changed", username, before, _state(session, row), client=client)
    return _reviewer(row)


def set_active(session: Session, username: str, active: bool, actor: str, *, client: str | None = None) -> Reviewer:
    """Disable a user (every session of theirs ends at once) or enable them again."""
    row = _user(session, username)
    if not active:
        _keep_an_admin(session, row, "disable them")
    before = _state(session, row)
    row.active = active
    rows.delete_logins_of(session, row.id)
    session.flush()
    _audit(session, actor, "user_enabled" if active else "user_disabled", username, before, _state(session, row),
           client=client)
    return _reviewer(row)


def reset_password(session: Session, username: str, actor: str, *, client: str | None = None) -> str:
    """Give a user a temporary password (returned, to be shown once); their sessions end; they must change it."""
    row = _user(session, username)
    before = _state(session, row)
    password = temporary_password()
    row.password_hash, row.must_change_password = hash_password(password), True
    rows.delete_logins_of(session, row.id)
    session.flush()
    _audit(session, actor, "password_reset", username, before, _state(session, row), client=client)
    return password


def end_all_sessions(session: Session, username: str, actor: str, *, keep_token: str | None = None,
                     client: str | None = None) -> int:
    """End a user's sessions (all of them, or all but the one of ``keep_token``); returns how many ended."""
    row = _user(session, username)
    before = _state(session, row)
    ended = rows.delete_logins_of(session, row.id, keep=_token_hash(keep_token) if keep_token else None)
    _audit(session, actor, "sessions_ended", username, before, _state(session, row),
           "all but the current session" if keep_token else "all sessions", client=client)
    return ended


def change_password(session: Session, username: str, current: str, new: str, again: str, *,
                    keep_token: str | None = None, client: str | None = None) -> None:
    """A user changes their own password (the current one is required); their other sessions end."""
    row = rows.reviewer_by_name(session, username, active_only=True)
    if row is None or not verify_password(current, row.password_hash):
        raise NotAllowed("the current password is wrong; type the password you logged in with")
    if new != again:
        raise ReviewError("the new password and its repetition differ; type the same new password twice")
    _check_password(new, "new password")
    if new == current:
        raise ReviewError("the new password is the current one; choose a different password")
    before = _state(session, row)
    row.password_hash, row.must_change_password = hash_password(new), False
    rows.delete_logins_of(session, row.id, keep=_token_hash(keep_token) if keep_token else None)
    session.flush()
    _audit(session, username, "password_changed", username, before, _state(session, row), client=client)


def list_users(session: Session) -> list[Reviewer]:
    return [_reviewer(r) for r in rows.reviewers(session)]


def session_counts(session: Session) -> dict[int, int]:
    """Open sessions per user id."""
    return rows.login_counts(session, datetime.now(UTC))


def find_user(session: Session, username: str) -> Reviewer | None:
    row = rows.reviewer_by_name(session, username, active_only=True)
    return _reviewer(row) if row else None


def authenticate(session: Session, username: str, password: str) -> Reviewer | None:
    """The active user whose password this is, else None; an old or weak hash is replaced on success.

    An unknown (or disabled) user costs the same as a wrong password: the one dummy hash is verified instead.
    """
    row = rows.reviewer_by_name(session, username, active_only=True) if len(password) <= MAX_PASSWORD_CHARS else None
    if row is None:
        verify_password(password[:MAX_PASSWORD_CHARS], _dummy_hash())
        return None
    if not verify_password(password, row.password_hash):
        return None
    if needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)
        session.flush()
    return _reviewer(row)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: Reviewer) -> tuple[str, str]:
    """A new login: returns (cookie token, CSRF token). Expired sessions are swept on the way."""
    current = datetime.now(UTC)
    rows.delete_logins_expired_before(session, current)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    rows.add_login(session, _token_hash(token), user.id, csrf, current, current + timedelta(hours=SESSION_HOURS))
    return token, csrf


@dataclass(frozen=True)
class LoggedIn:
    user: Reviewer
    csrf_token: str


def session_user(session: Session, token: str | None) -> LoggedIn | None:
    """The reviewer behind a cookie token, if the session exists, has not expired and the user is active."""
    if not token:
        return None
    row = rows.login_by_token(session, _token_hash(token))
    if row is None or row.expires_at < datetime.now(UTC):
        return None
    user = rows.reviewer_by_id(session, row.user_id)
    if user is None or not user.active:
        return None
    return LoggedIn(_reviewer(user), row.csrf_token)


def end_session(session: Session, token: str | None) -> None:
    if token:
        rows.delete_login(session, _token_hash(token))


def audit_login(session: Session, username: str, action: str, detail: str = "", client: str | None = None) -> None:
    """A login event (``logged_in``, ``login_failed``, ``login_locked``); the actor is the submitted user name,
    cut to :data:`ACTOR_CHARS` characters. The password is never recorded."""
    name = "".join(c for c in username.strip() if c.isprintable())[:ACTOR_CHARS] or "anonymous"
    _audit(session, name, action, name, {}, {}, detail, client=client)


# ----------------------------------------------------------------------------- login limits

Tiers = tuple[tuple[int, int, int], ...]  # (attempts, within seconds, then locked for seconds)


class LoginLimits(BaseModel):
    """How many login attempts a user name and an address may make. A tier ``(attempts, within_s, lock_s)``
    allows ``attempts`` within ``within_s`` seconds; the next one locks it for ``lock_s`` seconds, and every
    attempt during the lock starts the lock again (so only waiting ends it). Every attempt counts in the other
    tiers, also a refused one: hammering on fills the longer tiers, whose locks are longer (back-off). A
    successful login clears the user name's counts, never the address's."""

    per_user: Tiers = Field(default=((5, 60, 60), (10, 900, 900), (20, 3600, 3600)))
    per_ip: Tiers = Field(default=((30, 60, 60), (200, 3600, 3600)))


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds, when refused
    locked_now: bool = False  # this attempt started a lock (worth an audit row; the attempts during it are not)


class LoginThrottle:
    """Per-user-name and per-address login limits on the ``limits`` library's moving windows: in memory, or in
    Redis (``storage_url``) so that every console process shares them."""

    def __init__(self, limits: LoginLimits | None = None, storage_url: str | None = None) -> None:
        from limits import RateLimitItemPerSecond
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self.limits = limits or LoginLimits()
        self._item = RateLimitItemPerSecond
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_url or "memory://"))

    def _counter(self, attempts: int, within_s: int) -> Any:
        return self._item(attempts, within_s, namespace="storyvid-login")

    def _lock(self, lock_s: int) -> Any:
        return self._item(1, lock_s, namespace="storyvid-login-lock")

    def _keys(self, username: str, client: str) -> tuple[tuple[str, str, Tiers], ...]:
        user = username.strip().lower()[:ACTOR_CHARS]
        return ("user", user, self.limits.per_user), ("ip", client, self.limits.per_ip)

    def attempt(self, username: str, client: str) -> Verdict:
        """Count one attempt of ``username`` from ``client``; refused while any tier of either is locked."""
        waits: list[int] = []
        locked_now = False
        for kind, key, tiers in self._keys(username, client):
            for attempts, within_s, lock_s in tiers:
                counter, lock = self._counter(attempts, within_s), self._lock(lock_s)
                if not self._limiter.test(lock, kind, key):  # locked: this attempt starts the lock again
                    waits.append(lock_s)
                elif not self._limiter.hit(counter, kind, key):  # one attempt too many: lock, count afresh after
                    self._limiter.clear(counter, kind, key)
                    waits.append(lock_s)
                    locked_now = True
                else:
                    continue
                self._limiter.clear(lock, kind, key)
                self._limiter.hit(lock, kind, key)
        return Verdict(True) if not waits else Verdict(False, max(waits), locked_now)

    def succeeded(self, username: str) -> None:
        """A right password: the user name's counts start again (the address's do not)."""
        kind, key, tiers = self._keys(username, "")[0]
        for attempts, within_s, _ in tiers:
            self._limiter.clear(self._counter(attempts, within_s), kind, key)
