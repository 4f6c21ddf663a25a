"""Graph API tokens as documented: a long-lived user token (in the credential store) from which the Page token
is derived; a refused token is never exchanged; an expired user token stops the upload with an alert saying
which token expired and how to renew it; upload sessions are opened with the user token.

Sources (platform-protocols.md): "You can not use an expired token to request a long-lived token", the grant
takes a user token (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived);
``POST /{app-id}/uploads`` takes a User access token (https://developers.facebook.com/docs/graph-api/guides/upload);
``/{page-id}/videos`` takes the Page token (https://developers.facebook.com/documentation/video-api/guides/
publishing.md).
"""

from __future__ import annotations

import logging

import httpx
import pytest

from storyvid_assets.distribution.credentials import CredentialStore
from storyvid_assets.distribution.publish import publish_target
from storyvid_assets.models import POSTED_STATUSES
from storyvid_tests.distribution.conftest import FakeClock, Media, client_for, make_env, make_item, make_options
from storyvid_tests.fakes.facebook import FakeFacebook
from storyvid_tests.fakes.instagram import FakeInstagram


def publish(fake: FakeFacebook | FakeInstagram, platform: str, fmt: str, media: Media, url: str, clock: FakeClock):
    env = make_env(url, clock)
    outcome = publish_target(
        env, client_for(platform, fake), make_item(media, platform, fmt), make_options(platform, fmt)
    )
    return outcome, env


def test_upload_session_takes_the_user_token_and_the_post_the_page_token(
    media: Media, catalog_url: str, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeFacebook(now=clock.now) as fake:
        assert isinstance(fake, FakeFacebook)
        outcome, _ = publish(fake, "facebook", "16:9", media, catalog_url, clock)
        assert outcome.status in POSTED_STATUSES, outcome.error
        seen = set(fake.kinds_seen)
        assert ("session", "user") in seen and ("transfer", "user") in seen
        assert ("page_token", "user") in seen and ("create", "page") in seen
        assert not {("session", "page"), ("create", "user")} & seen
        assert fake.refreshes == 0 and not fake.steps("token")
        stored = CredentialStore(catalog_url).load("facebook/default")
        assert stored is not None and stored.value["access_token"] in fake.issued  # the user token, stored
        assert not [t for t in fake.issued if t in caplog.text or t in outcome.model_dump_json()]


def test_expired_page_token_is_derived_again_from_the_user_token(
    media: Media, catalog_url: str, clock: FakeClock
) -> None:
    with FakeFacebook(now=clock.now) as fake:
        assert isinstance(fake, FakeFacebook)
        fake.inject("expired_token", "create")  # the Page token presented at create expires
        outcome, _ = publish(fake, "facebook", "16:9", media, catalog_url, clock)
        assert outcome.status in POSTED_STATUSES, outcome.error
        assert len(fake.posts) == 1
        assert not fake.steps("token"), "a refused token is never exchanged"
        assert [s.status for s in fake.steps("page_token")] == [200, 200]


@pytest.mark.parametrize(
    ("fmt", "when"),
    [("16:9", "start"), ("16:9", "uploaded"), ("9:16", "start")],
    ids=["video-at-upload-session", "video-after-upload", "reel-at-page-token"],
)
def test_expired_user_token_raises_an_alert_naming_it_and_how_to_renew(
    fmt: str, when: str, media: Media, catalog_url: str, clock: FakeClock
) -> None:
    with FakeFacebook(now=clock.now) as fake:
        assert isinstance(fake, FakeFacebook)
        client = client_for("facebook", fake)
        user_token = client.user_token

        def expire_user_token(step: str) -> None:  # the long-lived user token expired (60 days) or was revoked
            if step == when:
                fake.expire(user_token)

        if when == "start":
            fake.expire(user_token)
        env = make_env(catalog_url, clock, after_save=expire_user_token)
        outcome = publish_target(env, client, make_item(media, "facebook", fmt), make_options("facebook", fmt))
        assert outcome.status == "failed" and outcome.alert
        [alert] = env.alerts
        assert "FACEBOOK_USER_TOKEN" in alert and "facebook/default" in alert and "expired or was revoked" in alert
        assert "fb_exchange_token" in alert and "set FACEBOOK_USER_TOKEN" in alert
        assert not fake.steps("token"), "an expired token is never sent to fb_exchange_token"
        assert not fake.posts and user_token not in alert
        if when == "uploaded":  # the bytes went up with the user token; deriving the Page token then failed
            assert [s.status for s in fake.steps("page_token")] == [400] and fake.steps("transfer")


def test_instagram_expired_token_alert_names_it_and_never_exchanges(
    media: Media, catalog_url: str, clock: FakeClock
) -> None:
    with FakeInstagram(now=clock.now) as fake:
        assert isinstance(fake, FakeInstagram)
        fake.inject("expired_token", "create")
        outcome, env = publish(fake, "instagram", "9:16", media, catalog_url, clock)
        assert outcome.status == "failed"
        [alert] = env.alerts
        assert "INSTAGRAM_ACCESS_TOKEN" in alert and "renew it" in alert
        assert not fake.steps("token") and fake.refreshes == 0


def test_graph_fake_refuses_exchanging_expired_and_page_tokens(clock: FakeClock) -> None:
    """The fake itself (what our old client relied on): only a valid user token can be exchanged."""
    with FakeFacebook(now=clock.now) as fake:
        assert isinstance(fake, FakeFacebook)
        user, page = fake.new_token("user"), fake.new_token("page")
        expired = fake.new_token("user")
        fake.expire(expired)

        def exchange(token: str) -> int:
            query = {
                "grant_type": "fb_exchange_token",
                "client_id": "app-1",
                "client_secret": "app-secret",
                "fb_exchange_token": token,
            }
            return httpx.get(f"{fake.origin}/v23.0/oauth/access_token", params=query).status_code

        assert exchange(expired) == 400 and exchange(page) == 400
        assert exchange(user) == 200
        # a Page token where the documented call takes a user token (and the reverse) is refused
        session = httpx.post(
            f"{fake.origin}/v23.0/app-1/uploads",
            params={"file_name": "v.mp4", "file_length": "10", "file_type": "video/mp4", "access_token": page},
        )
        assert session.status_code == 400 and session.json()["error"]["code"] == 190
        create = httpx.post(f"{fake.origin}/v23.0/page-1/videos", data={"access_token": user})
        assert create.status_code == 400 and create.json()["error"]["code"] == 190
