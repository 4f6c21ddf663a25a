"""The credential store: TikTok's rotated refresh token survives the process, concurrent refreshes keep the
newest token (SQLite and PostgreSQL), and no token shows up in logs, metadata or the catalog in clear text.

TikTok rotates the refresh token on every refresh and refuses the previous one
(https://developers.tiktok.com/docs/en/oauth-refresh-a-user-access-token; platform-protocols.md TikTok §7);
the fake does the same.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import pytest
from sqlalchemy import MetaData, select

from storyvid_assets.catalog.db import get_engine, migrate
from storyvid_assets.distribution.credentials import CredentialStore, local_key_file
from storyvid_assets.distribution.publish import publish_target
from storyvid_assets.models import POSTED_STATUSES
from storyvid_assets.resources.platforms import TikTokClient
from storyvid_tests.distribution.conftest import FakeClock, Media, client_for, make_env, make_item, make_options
from storyvid_tests.fakes.tiktok import FakeTikTok

NAME = "tiktok/default"


def publish_once(catalog_url: str, fake: FakeTikTok, media: Media, clock: FakeClock, date: str, run: str) -> str:
    """One upload in "a new process": a new client built from the same configuration (the environment's
    ``rt-1``), the same catalog."""
    client = client_for("tiktok", fake)
    env = make_env(catalog_url, clock, run_id=run)
    outcome = publish_target(
        env, client, make_item(media, "tiktok", "9:16", date=date), make_options("tiktok", "9:16", date=date)
    )
    assert outcome.status in POSTED_STATUSES, outcome.error
    return outcome.status


def test_rotated_refresh_token_is_used_by_the_next_process(media: Media, catalog_url: str, clock: FakeClock) -> None:
    with FakeTikTok(now=clock.now, min_chunk=256 * 1024) as fake:
        assert isinstance(fake, FakeTikTok)
        publish_once(catalog_url, fake, media, clock, "2026-11-25", "run-1")  # refreshes: rt-1 is rotated away
        assert fake.refreshes == 1 and "rt-1" in fake.refused_refresh_tokens
        fake.expire_tokens()  # the access token too: the next process must refresh with the stored token
        publish_once(catalog_url, fake, media, clock, "2026-11-26", "run-2")
        assert fake.refreshes == 2
        publish_once(catalog_url, fake, media, clock, "2026-11-27", "run-3")  # the stored access token works
        assert fake.refreshes == 2 and len(fake.posts) == 3
        stored = CredentialStore(catalog_url).load(NAME)
        assert stored is not None and stored.value["refresh_token"] == fake.refresh_token
        assert stored.version == 3 and stored.refreshed_at is not None and stored.expires_at is not None


def race_refreshes(catalog_url: str, fake: FakeTikTok, clock: FakeClock, workers: int, rounds: int) -> None:
    """``workers`` clients (each its own instance, as separate workers would be) refresh at the same moment,
    ``rounds`` times; after each round every worker's token works and the store holds the newest refresh token."""
    client = client_for("tiktok", fake)
    assert isinstance(client, TikTokClient)
    apis = [client.api(clock, catalog_url) for _ in range(workers)]
    try:
        seeding = Barrier(workers)

        def seed(index: int) -> int:  # every worker seeds the store at once on first use: one row, one version
            seeding.wait()
            return apis[index].credential.current().version

        with ThreadPoolExecutor(workers) as pool:
            assert list(pool.map(seed, range(workers))) == [1] * workers
        for _ in range(rounds):
            start = Barrier(workers)

            def refresh(index: int, start: Barrier = start) -> str:
                start.wait()
                apis[index].refresh()
                return apis[index].token

            with ThreadPoolExecutor(workers) as pool:
                tokens = list(pool.map(refresh, range(workers)))
            assert all(token in fake.tokens for token in tokens), "a worker ended with a token that does not work"
            stored = CredentialStore(catalog_url).load(NAME)
            assert stored is not None and stored.value["refresh_token"] == fake.refresh_token, "newest token lost"
            fake.expire_tokens()  # next round: every worker must refresh again, from what it last read
        fresh = client_for("tiktok", fake).api(clock, catalog_url)  # a new process after the races
        try:
            fresh.refresh()  # with the token the races left in the store
            assert fresh.call("creator info", "/v2/post/publish/creator_info/query/", {})["creator_username"]
        finally:
            fresh.close()
    finally:
        for api in apis:
            api.close()


def test_concurrent_refreshes_keep_the_newest_token_sqlite(catalog_url: str, clock: FakeClock) -> None:
    with FakeTikTok(now=clock.now) as fake:
        assert isinstance(fake, FakeTikTok)
        race_refreshes(catalog_url, fake, clock, workers=2, rounds=5)
        assert fake.refreshes >= 5


@pytest.mark.postgres
def test_concurrent_refreshes_keep_the_newest_token_postgres(postgres_url: str, clock: FakeClock) -> None:
    migrate(postgres_url)
    with FakeTikTok(now=clock.now) as fake:
        assert isinstance(fake, FakeTikTok)
        race_refreshes(postgres_url, fake, clock, workers=2, rounds=5)
        assert fake.refreshes >= 5


def test_a_stale_writer_cannot_overwrite_a_newer_token(catalog_url: str) -> None:
    store = CredentialStore(catalog_url)
    first = store.seed(NAME, "tiktok", "oauth", {"refresh_token": "rt-1"}, seed="rt-1")
    assert store.swap(NAME, first.version, {"refresh_token": "rt-2"}, None) is not None
    assert store.swap(NAME, first.version, {"refresh_token": "rt-stale"}, None) is None  # compare-and-swap
    assert store.load(NAME).value == {"refresh_token": "rt-2"}  # type: ignore[union-attr]
    # the environment's original value never overwrites the rotated one; a new value (re-authorised) does
    assert store.seed(NAME, "tiktok", "oauth", {"refresh_token": "rt-1"}, seed="rt-1").value["refresh_token"] == "rt-2"
    renewed = store.seed(NAME, "tiktok", "oauth", {"refresh_token": "rt-new"}, seed="rt-new")
    assert renewed.value == {"refresh_token": "rt-new"} and renewed.version == 3


def test_no_token_in_logs_metadata_or_the_catalog(
    media: Media, catalog_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    with FakeTikTok(now=clock.now, min_chunk=256 * 1024) as fake:
        assert isinstance(fake, FakeTikTok)
        client = client_for("tiktok", fake)
        outcomes = []
        for run, date in enumerate(("2026-11-25", "2026-11-26")):
            env = make_env(catalog_url, clock, run_id=f"run-{run}", log=messages.append)
            outcomes.append(
                publish_target(
                    env,
                    client,
                    make_item(media, "tiktok", "9:16", date=date),
                    make_options("tiktok", "9:16", date=date),
                )
            )
            fake.expire_tokens()
        secrets = {"rt-1", fake.refresh_token, *fake.refused_refresh_tokens, *fake.issued_access_tokens}
    assert fake.refreshes == 2 and all(o.status in POSTED_STATUSES for o in outcomes)
    assert "cs-1" not in secrets and len(secrets) >= 5
    engine = get_engine(catalog_url)
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as conn:
        catalog_text = "\n".join(
            repr(row) for table in tables.sorted_tables for row in conn.execute(select(table)).all()
        )
    assert "credentials" in tables.tables and "gAAAAA" in catalog_text  # stored, as Fernet ciphertext
    shown = {
        "logs": caplog.text,
        "run log": "\n".join(messages),
        "metadata": "\n".join(o.model_dump_json() for o in outcomes),
        "catalog": catalog_text,
        "listing": repr(CredentialStore(catalog_url).list()),
        "repr": repr(CredentialStore(catalog_url).load(NAME)),
    }
    for where, text in shown.items():
        leaked = [s for s in secrets | {"cs-1"} if s in text]
        assert not leaked, f"{where} shows {leaked}"


def test_local_key_file_is_generated_once_with_owner_only_permissions(tmp_path: Path) -> None:
    path = tmp_path / "home" / "credentials.key"
    key = local_key_file(path)
    assert local_key_file(path) == key and len(key) == 44
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_production_requires_the_key_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from storyvid_assets.distribution.credentials import credentials_key
    from storyvid_assets.errors import ConfigError

    monkeypatch.delenv("STORYVID_CREDENTIALS_KEY")
    monkeypatch.setenv("STORYVID_HOME", str(tmp_path))
    monkeypatch.setenv("STORYVID_ENV", "production")
    with pytest.raises(ConfigError, match="STORYVID_CREDENTIALS_KEY"):
        credentials_key()
    assert not (tmp_path / "credentials.key").exists()
    monkeypatch.setenv("STORYVID_ENV", "local")
    assert credentials_key() == (tmp_path / "credentials.key").read_bytes()


def test_cli_lists_name_expiry_and_last_refresh_never_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], clock: FakeClock
) -> None:
    from storyvid_assets.cli import main

    monkeypatch.setenv("STORYVID_HOME", str(tmp_path))
    monkeypatch.delenv("STORYVID_CATALOG_URL", raising=False)
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    migrate(url)
    store = CredentialStore(url)
    seeded = store.seed(NAME, "tiktok", "oauth", {"refresh_token": "rt-secret-1"}, seed="rt-secret-1")
    store.swap(NAME, seeded.version, {"refresh_token": "rt-secret-2"}, clock.now())
    assert main(["credentials", "list"]) == 0
    out = capsys.readouterr().out
    assert NAME in out and "2026-11-25 12:00 UTC" in out and "last refresh" in out
    assert "rt-secret" not in out


def test_resources_built_from_the_environment_share_the_rotated_token(
    media: Media, catalog_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in production: each process builds the resource from ``TIKTOK_*``; the environment keeps ``rt-1``."""
    for name, value in {
        "TIKTOK_CLIENT_KEY": "ck-1",
        "TIKTOK_CLIENT_SECRET": "cs-1",
        "TIKTOK_REFRESH_TOKEN": "rt-1",
    }.items():
        monkeypatch.setenv(name, value)
    with FakeTikTok(now=clock.now, min_chunk=256 * 1024) as fake:
        assert isinstance(fake, FakeTikTok)
        for run, date in enumerate(("2026-11-25", "2026-11-26")):
            client = TikTokClient.from_env(
                base_url=fake.origin, chunk_size=256 * 1024, min_chunk=256 * 1024, base_delay_s=0.01
            )
            env = make_env(catalog_url, clock, run_id=f"run-{run}")
            item, options = make_item(media, "tiktok", "9:16", date=date), make_options("tiktok", "9:16", date=date)
            outcome = publish_target(env, client, item, options)
            assert outcome.status in POSTED_STATUSES, outcome.error
            fake.expire_tokens()
        assert fake.refreshes == 2 and len(fake.posts) == 2
