"""YouTube's resumable upload protocol after lost answers, against the strict fake.

The Resumable Uploads guide (https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol):
after an interruption, ask the session what arrived (empty ``PUT``, ``Content-Range: bytes */TOTAL``) and
resume from the byte after the server's ``Range``. httplib2 re-sends a request by itself when the connection
drops before the answer (``Http._conn_request``), so a chunk went again with no status query and a session
start was sent twice for one lost answer; the client now sends every request once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httplib2
import pytest

from storyvid_assets.distribution.publish import publish_target
from storyvid_assets.models import POSTED_STATUSES
from storyvid_tests.distribution.conftest import FakeClock, Media, client_for, make_env, make_item, make_options
from storyvid_tests.fakes.platform_server import Exchange, PlatformFake, Seen
from storyvid_tests.fakes.youtube import FakeYouTube, Session

UPLOAD_PATH = "/upload/youtube/v3/videos"
PENDING = "pending"


class RecordingYouTube(FakeYouTube):
    """Records upload requests in the order they arrive (``seen`` is written when a handler ends, so a request
    that follows a hang-up can be logged before it), with the status answered (None: no answer)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arrivals: list[list[Any]] = []

    def _record(self, what: str, handler: Any, ex: Exchange) -> None:
        entry: list[Any] = [what, PENDING]
        with self.lock:
            self.arrivals.append(entry)
        try:
            handler(ex)
        finally:
            entry[1] = ex.status

    def start_session(self, ex: Exchange) -> None:
        self._record("session", super().start_session, ex)

    def put_chunk(self, ex: Exchange) -> None:
        self._record(ex.headers.get("content-range", ""), super().put_chunk, ex)

    def settled(self) -> list[list[Any]]:
        deadline = time.monotonic() + 5
        while any(e[1] == PENDING for e in self.arrivals) and time.monotonic() < deadline:
            time.sleep(0.01)
        return [list(e) for e in self.arrivals]


def upload_requests(fake: PlatformFake) -> list[Seen]:
    deadline = time.monotonic() + 2
    while not fake.seen and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # a re-sent request would arrive now
    with fake.lock:
        return [s for s in fake.seen if s.path == UPLOAD_PATH]


LOST = [
    ("chunk", "final_chunk", 1),  # two PUT answers lost: one session, a status query before each resumed PUT
    ("chunk", "chunk", 1),
    ("session", "chunk", 2),  # a lost start answer leaves no session URI: exactly one more start, no more
]


@pytest.mark.parametrize(("first", "second", "starts"), LOST, ids=[f"{a}+{b}" for a, b, _ in LOST])
def test_two_lost_answers_resume_by_the_protocol(
    first: str, second: str, starts: int, media: Media, catalog_url: str, clock: FakeClock
) -> None:
    fake = RecordingYouTube(now=clock.now).start()
    try:
        fake.inject("lost_response", first)
        fake.inject("lost_response", second)
        client = client_for("youtube", fake)
        item, options = make_item(media, "youtube", "16:9"), make_options("youtube", "16:9")
        outcome = publish_target(make_env(catalog_url, clock), client, item, options)
        assert outcome.status in POSTED_STATUSES, outcome.error
        assert all(f.times == 0 for f in fake.faults), "both answers were lost"
        arrivals = fake.settled()
        lost = [i for i, (_, status) in enumerate(arrivals) if status is None]
        assert len(lost) == 2, arrivals
        assert [what for what, _ in arrivals].count("session") == starts, arrivals
        size = item_size = Path(item.video_path).stat().st_size
        for i in lost:  # after a lost chunk answer: a status query, never the chunk again
            if arrivals[i][0] != "session":
                assert arrivals[i + 1][0] == f"bytes */{size}", arrivals
        sent = [what for what, _ in arrivals if what.startswith("bytes ") and "*" not in what]
        resent = [r for r in set(sent) if sent.count(r) > 1]
        assert not resent, f"chunks sent twice: {resent} ({arrivals})"
        assert item_size == fake.posts[0].size
        assert len(fake.posts_with(options.marker)) == 1 and len(fake.posts) == 1
        assert fake.posts[0].sha256 == media.sha("16:9")
    finally:
        fake.stop()


def test_the_client_never_lets_httplib2_resend(media: Media, catalog_url: str, clock: FakeClock) -> None:
    """One request on the wire per ``http.request``, even when the connection drops before the answer."""
    from storyvid_assets.distribution.clients.youtube import one_shot_http

    fake = FakeYouTube(now=clock.now).start()
    try:
        fake.sessions["s-1"] = Session("s-1", 10, {})
        fake.inject("lost_response", "query")
        http = one_shot_http(5.0)
        assert 308 not in http.redirect_codes  # 308 is "Resume Incomplete", not a redirect
        headers = {"Content-Range": "bytes */10", "Authorization": f"Bearer {fake.issue_token()}"}
        with pytest.raises((httplib2.HttpLib2Error, OSError)):
            http.request(f"{fake.origin}{UPLOAD_PATH}?upload_id=s-1", "PUT", headers=headers)
        assert len(upload_requests(fake)) == 1
        response, _ = http.request(f"{fake.origin}{UPLOAD_PATH}?upload_id=s-1", "PUT", headers=headers)
        assert response.status == 308 and "range" not in response  # nothing arrived yet
    finally:
        fake.stop()


def test_the_fake_enforces_the_documented_rules(clock: FakeClock) -> None:
    """The strict fake refuses what the docs refuse (so a client bug shows up as a failure, not a pass)."""
    import httpx

    fake = FakeYouTube(now=clock.now).start()
    try:
        base = fake.origin
        form = {"grant_type": "refresh_token", "refresh_token": "refresh-1", "client_id": "client-1"}
        assert httpx.post(f"{base}/token", data=form | {"client_secret": "wrong"}).status_code == 400
        token = httpx.post(f"{base}/token", data=form | {"client_secret": "secret-1"}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        body = {
            "snippet": {"title": "t", "description": "d"},
            "status": {"privacyStatus": "private", "selfDeclaredMadeForKids": True, "containsSyntheticMedia": True},
        }
        start = f"{base}{UPLOAD_PATH}?uploadType=resumable&part=snippet,status"
        headers = auth | {"X-Upload-Content-Length": "300000", "X-Upload-Content-Type": "video/mp4"}

        def begin(url: str = start, payload: Any = body, **extra: str) -> httpx.Response:
            return httpx.post(url, json=payload, headers=headers | extra)

        assert begin(url=start.replace("part=snippet,status", "part=snippet")).status_code == 400  # part vs body
        assert begin(url=start.replace("&part=snippet,status", "")).status_code == 400  # part is required
        unknown = {**body, "snippet": {**body["snippet"], "madeUp": 1}}
        assert begin(payload=unknown).status_code == 400  # unknown property
        assert begin(payload={**body, "extra": {}}).status_code == 400  # unknown part
        assert begin(**{"X-Upload-Content-Length": "lots"}).status_code == 400
        assert begin(**{"X-Upload-Content-Type": "text/plain"}).status_code == 400
        raw = httpx.post(start, content=b'{"snippet": {}}', headers=headers | {"Content-Type": "text/plain"})
        assert raw.status_code == 400  # the resource is JSON
        session = begin()
        assert session.status_code == 200, session.text
        uri = session.headers["location"]
        chunk = b"x" * (256 * 1024)
        put = {"Content-Range": f"bytes 0-{len(chunk) - 1}/300000"}
        assert httpx.put(uri, content=chunk, headers=put).status_code == 401  # upload PUTs need the token
        wrong_total = {"Content-Range": f"bytes 0-{len(chunk) - 1}/300001"}
        assert httpx.put(uri, content=chunk, headers=auth | wrong_total).status_code == 400  # declared size
        assert httpx.put(uri, content=chunk, headers=auth | put).status_code == 308
        assert httpx.put(uri, headers={"Content-Range": "bytes */300000"}).status_code == 401
    finally:
        fake.stop()
