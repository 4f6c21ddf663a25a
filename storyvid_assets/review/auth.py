"""Reviewers: scrypt password hashes (stdlib), roles, and server-side login sessions.

Only a hash of each password and of each session token is stored. The role always comes from the
database row of the logged-in user, never from anything the browser sends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from storyvid_assets.catalog.queries import review as rows
from storyvid_assets.review.queue import ROLES, Conflict, ReviewError, audit

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SESSION_HOURS = 12
MIN_PASSWORD_CHARS = 10
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` with a random 16-byte salt."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    enc = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${enc(salt).decode()}${enc(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(8))


@dataclass(frozen=True)
class Reviewer:
    id: int
    username: str
    role: str


def create_user(session: Session, username: str, password: str, role: str, actor: str) -> Reviewer:
    if not USERNAME_RE.match(username):
        raise ReviewError(f"username {username!r} must be 2-64 lowercase letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise ReviewError(f"role {role!r} is unknown; use one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_CHARS:
        raise ReviewError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if rows.reviewer_by_name(session, username):
        raise Conflict(f"user {username!r} exists already; use `storyvid review users set-role` to change the role")
    row = rows.add_reviewer(session, username, hash_password(password), role)
    audit(session, None, actor, "user_created", {}, {"username": username, "role": role})
    return Reviewer(row.id, row.username, row.role)


def set_role(session: Session, username: str, role: str, actor: str) -> Reviewer:
    if role not in ROLES:
        raise ReviewError(f"role {role!r} is unknown; use one of {', '.join(ROLES)}")
    row = rows.reviewer_by_name(session, username)
    if row is None:
        raise ReviewError(f"there is no user {username!r}; `storyvid review users list` shows them")
    before = {"username": username, "role": row.role}
    row.role = role
    session.flush()
    audit(session, None, actor, "role_changed", before, {"username": username, "role": role})
    return Reviewer(row.id, row.username, row.role)


def list_users(session: Session) -> list[Reviewer]:
    return [Reviewer(r.id, r.username, r.role) for r in rows.reviewers(session)]


def find_user(session: Session, username: str) -> Reviewer | None:
    row = rows.reviewer_by_name(session, username, active_only=True)
    return Reviewer(row.id, row.username, row.role) if row else None


def authenticate(session: Session, username: str, password: str) -> Reviewer | None:
    row = rows.reviewer_by_name(session, username, active_only=True)
    if row is None:
        verify_password(password, _dummy_hash())  # same work either way: no user-name oracle by timing
        return None
    return Reviewer(row.id, row.username, row.role) if verify_password(password, row.password_hash) else None


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
    return LoggedIn(Reviewer(user.id, user.username, user.role), row.csrf_token)


def end_session(session: Session, token: str | None) -> None:
    if token:
        rows.delete_login(session, _token_hash(token))
