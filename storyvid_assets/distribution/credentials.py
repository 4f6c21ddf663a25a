"""The credential store: platform tokens that rotate, persisted in the catalog, encrypted at rest, shared by
every worker.

TikTok rotates its refresh token on every refresh and refuses the previous one (platform-protocols.md, TikTok
§7, https://developers.tiktok.com/docs/en/oauth-refresh-a-user-access-token); the Graph API's long-lived user
token is the root every Page token is derived from. Such tokens cannot live in the environment: the next
process would start from a refused token. Here each credential is one ``credentials`` row:

- the value (a small dict, e.g. ``{"refresh_token", "access_token", "access_expires_at"}``) is encrypted with
  Fernet; the key is ``STORYVID_CREDENTIALS_KEY`` (required in production), else a key file
  ``<home>/credentials.key`` (mode 0600) generated on first use for local work;
- every write bumps ``version``; a refresh stores its new token only if the version it started from is still
  current (compare-and-swap), so two workers refreshing at once never lose the newer token: the loser re-reads
  and uses the winner's;
- a row is seeded from the environment on first use only; a keyed digest of that environment value is kept,
  so an operator who puts a *new* token in the environment (a re-authorisation) replaces the stored one, while
  the original value never overwrites a rotated token;
- values never appear in logs, ``repr``, metadata or listings (:meth:`CredentialStore.list` shows name, kind,
  expiry and last refresh only).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from storyvid_assets.catalog.base import utcnow
from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.tables.credentials import CredentialRow
from storyvid_assets.errors import ConfigError
from storyvid_assets.settings import CREDENTIALS_KEY_ENV, settings

KEY_FILE = "credentials.key"


def credentials_key() -> bytes:
    """The store's Fernet key: ``STORYVID_CREDENTIALS_KEY``, else (not in production) ``<home>/credentials.key``."""
    env = settings()
    if env.credentials_key is not None:
        return env.credentials_key.get_secret_value().encode()
    if env.production:
        raise ConfigError(
            "environment",
            CREDENTIALS_KEY_ENV,
            "not set; production keeps rotating platform tokens encrypted with a key from the environment",
            f"set {CREDENTIALS_KEY_ENV} to a Fernet key (python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'), the same on every worker, from the secret manager",
        )
    return local_key_file(env.storyvid_home / KEY_FILE)


def local_key_file(path: Path) -> bytes:
    """The key in ``path``, generated (mode 0600, created exclusively: two processes agree) when missing."""
    from cryptography.fernet import Fernet

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(Fernet.generate_key())
    return path.read_bytes().strip()


@dataclass(frozen=True)
class Credential:
    """One stored credential, decrypted; ``value`` is left out of ``repr`` (it holds the secrets)."""

    name: str
    version: int
    value: dict[str, Any] = field(repr=False)
    expires_at: datetime | None = None
    refreshed_at: datetime | None = None


@dataclass(frozen=True)
class CredentialInfo:
    """What may be shown about a credential: never its value."""

    name: str
    platform: str
    kind: str
    version: int
    expires_at: datetime | None
    refreshed_at: datetime | None
    updated_at: datetime


class RefreshRefused(Exception):
    """The platform refused the stored token (it was rotated, expired or revoked)."""


class CredentialStore:
    """Named credentials in the catalog at ``catalog_url``, encrypted with ``key`` (default :func:`credentials_key`)."""

    def __init__(self, catalog_url: str, key: bytes | None = None, now: Callable[[], datetime] = utcnow) -> None:
        from cryptography.fernet import Fernet

        self.catalog_url = catalog_url
        self._key = key if key is not None else credentials_key()
        self._fernet = Fernet(self._key)
        self.now = now

    def __repr__(self) -> str:
        return "CredentialStore(<catalog>)"

    # -- encryption ---------------------------------------------------------------------------------------

    def _encrypt(self, value: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(value, sort_keys=True).encode()).decode()

    def _decrypt(self, row: CredentialRow) -> Credential:
        from cryptography.fernet import InvalidToken

        try:
            value = json.loads(self._fernet.decrypt(row.secret.encode()))
        except InvalidToken:
            raise ConfigError(
                "credential store",
                row.name,
                "cannot be decrypted with this key",
                f"use the {CREDENTIALS_KEY_ENV} the store was written with (the same on every worker)",
            ) from None
        return Credential(row.name, row.version, value, row.expires_at, row.refreshed_at)

    def digest(self, seed: str) -> str:
        """A keyed digest of an environment value (tells a new value from the one seeded, reveals nothing)."""
        return hmac.new(self._key, seed.encode(), hashlib.sha256).hexdigest()

    # -- reading and writing ------------------------------------------------------------------------------

    def load(self, name: str) -> Credential | None:
        with session_scope(self.catalog_url) as session:
            row = session.scalars(select(CredentialRow).where(CredentialRow.name == name)).one_or_none()
            return None if row is None else self._decrypt(row)

    def seed(
        self,
        name: str,
        platform: str,
        kind: str,
        value: dict[str, Any],
        seed: str,
        expires_at: datetime | None = None,
    ) -> Credential:
        """The stored credential; created from ``value`` on first use, replaced only when ``seed`` (the
        environment's value) differs from the one it was seeded with (the operator issued a new token)."""
        digest = self.digest(seed)
        for _ in range(3):
            with session_scope(self.catalog_url) as session:
                row = session.scalars(select(CredentialRow).where(CredentialRow.name == name)).one_or_none()
                if row is not None and hmac.compare_digest(row.seed_digest, digest):
                    return self._decrypt(row)
                version = None if row is None else row.version
            if version is None:
                try:
                    with session_scope(self.catalog_url) as session:
                        session.add(
                            CredentialRow(
                                name=name,
                                platform=platform,
                                kind=kind,
                                secret=self._encrypt(value),
                                version=1,
                                expires_at=expires_at,
                                refreshed_at=None,
                                seed_digest=digest,
                            )
                        )
                except IntegrityError:  # another worker seeded it first: read theirs
                    continue
            elif self.swap(name, version, value, expires_at, seed=seed, refreshed=False) is None:
                continue
        found = self.load(name)
        if found is None:
            raise RuntimeError(f"credential {name} could not be seeded")
        return found

    def swap(
        self,
        name: str,
        expected_version: int,
        value: dict[str, Any],
        expires_at: datetime | None,
        *,
        seed: str | None = None,
        refreshed: bool = True,
    ) -> Credential | None:
        """Store ``value`` if the credential is still at ``expected_version`` (compare-and-swap): the new
        credential, or ``None`` when another worker wrote first."""
        now = self.now()
        changes: dict[str, Any] = {
            "secret": self._encrypt(value),
            "version": expected_version + 1,
            "expires_at": expires_at,
            "updated_at": now,
        }
        if refreshed:
            changes["refreshed_at"] = now
        if seed is not None:
            changes["seed_digest"] = self.digest(seed)
        with session_scope(self.catalog_url) as session:
            result = session.execute(
                update(CredentialRow)
                .where(CredentialRow.name == name, CredentialRow.version == expected_version)
                .values(**changes)
                .execution_options(synchronize_session=False)
            )
            won = result.rowcount == 1  # type: ignore[attr-defined]
        if not won:
            return None
        return Credential(name, expected_version + 1, dict(value), expires_at, now if refreshed else None)

    def list(self) -> list[CredentialInfo]:
        return list_credentials(self.catalog_url)


def list_credentials(catalog_url: str) -> list[CredentialInfo]:
    """Every stored credential's name, kind, expiry and last refresh (no key needed: nothing is decrypted)."""
    with session_scope(catalog_url) as session:
        rows = session.scalars(select(CredentialRow).order_by(CredentialRow.name)).all()
        return [
            CredentialInfo(r.name, r.platform, r.kind, r.version, r.expires_at, r.refreshed_at, r.updated_at)
            for r in rows
        ]


class StoredToken:
    """One credential as a client uses it: read (or seeded) once, refreshed with compare-and-swap.

    ``store=None`` keeps the value in memory only (a client used without a catalog, e.g. in a unit test).
    """

    def __init__(
        self,
        store: CredentialStore | None,
        name: str,
        platform: str,
        kind: str,
        seed_value: dict[str, Any],
        seed: str,
        settle_s: float = 5.0,
    ) -> None:
        self.store = store
        self.settle_s = settle_s
        self.name = name
        self.platform = platform
        self.kind = kind
        self._seed_value = dict(seed_value)
        self._seed = seed
        self._current: Credential | None = None

    def __repr__(self) -> str:
        return f"StoredToken({self.name!r})"

    def _newer_than(self, mine: Credential) -> Credential | None:
        """A version newer than ``mine``, waiting up to ``settle_s`` for it: when the platform refuses a token
        another worker has just rotated, that worker's write follows its answer within moments."""
        assert self.store is not None
        deadline = time.monotonic() + self.settle_s
        while True:
            latest = self.store.load(self.name)
            if latest is not None and latest.version != mine.version:
                return latest
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    def current(self) -> Credential:
        if self._current is None:
            if self.store is None:
                self._current = Credential(self.name, 1, dict(self._seed_value))
            else:
                self._current = self.store.seed(self.name, self.platform, self.kind, self._seed_value, self._seed)
        return self._current

    @property
    def value(self) -> dict[str, Any]:
        return self.current().value

    def refresh(self, exchange: Callable[[dict[str, Any]], tuple[dict[str, Any], datetime | None]]) -> dict[str, Any]:
        """Refresh with ``exchange`` (old value → new value and its expiry; raises :class:`RefreshRefused`) and
        store the result atomically. If another worker refreshed since this one read the credential, its newer
        value is used instead (no refresh with a token that was already rotated)."""
        mine = self.current()
        if self.store is None:
            value, expires = exchange(mine.value)
            self._current = Credential(self.name, mine.version + 1, value, expires, None)
            return value
        latest = self.store.load(self.name) or mine
        if latest.version != mine.version:  # someone else refreshed meanwhile: theirs is newer
            self._current = latest
            return latest.value
        try:
            value, expires = exchange(mine.value)
        except RefreshRefused:
            latest = self._newer_than(mine)
            if latest is None:
                raise
            self._current = latest  # lost a race: the winner rotated the token we sent
            return latest.value
        won = self.store.swap(self.name, mine.version, value, expires)
        if won is None:  # another worker stored a newer token first: keep theirs
            self._current = self.store.load(self.name) or mine
            return self._current.value
        self._current = won
        return value
