"""The runs page: the catalog's side and Dagster's, "make this episode" and "backfill these dates".

The launches run against a real Dagster (``dagster-webserver --path-prefix /dagster`` + ``dagster-daemon``
on the repository's workspace, started by the test); the rest needs no Dagster or an address nobody answers.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.console import console_audit
from storyvid_assets.catalog.queries.episodes import set_episode_status
from storyvid_assets.console import cli
from storyvid_assets.console.app import create_app
from storyvid_assets.console.dagster_link import parse_dagster_url, ui_base
from storyvid_assets.settings import reset_settings
from storyvid_tests.browser import screenshots
from storyvid_tests.console.conftest import csrf_of, log_in
from storyvid_tests.console.dagster_instance import DagsterDeployment, dagster_deployment

RUN_STATUSES = {"QUEUED", "NOT_STARTED", "STARTING", "STARTED", "SUCCESS", "FAILURE", "CANCELING", "CANCELED"}


@pytest.fixture
def dagster_url() -> str | None:
    return None


@pytest.fixture
def app(catalog_url: str, media_store: Any, dagster_url: str | None) -> Any:
    return create_app(catalog_url, media_store, dagster_url=dagster_url)


def audit_rows(catalog_url: str) -> list[Any]:
    with session_scope(catalog_url) as session:
        return [(r.action, r.actor, r.target, r.before, r.after) for r in console_audit(session)
                if r.action.startswith("runs.")]


def error_of(html: str) -> str:
    match = re.search(r'<div class="error" id="error">(.*?)</div>', html, re.S)
    assert match, "the page shows no error"
    return match.group(1).replace("&#39;", "'")


UNANSWERED = "http://127.0.0.1:9/dagster"  # the discard port: nothing listens on loopback, connections are refused


# -- without Dagster -------------------------------------------------------------------------------------------


def test_without_dagster_the_page_shows_the_catalog_and_says_how_to_connect(
        client_as: Callable[[str], TestClient], catalog_url: str) -> None:
    with session_scope(catalog_url) as session:
        set_episode_status(session, "bedtime", "2026-11-20", "published", 2)
        set_episode_status(session, "midnight", "2026-11-21", "in_progress", 1)
    page = client_as("otto").get("/runs")
    assert page.status_code == 200
    assert 'id="not-connected"' in page.text
    assert "--dagster-url" in page.text and "STORYVID_DAGSTER_URL" in page.text
    row = re.search(r'<tr id="partition-bedtime-2026-11-20".*?</tr>', page.text, re.S)
    assert row and "published" in row.group(0) and "attempt 2" in row.group(0)
    assert 'id="partition-midnight-2026-11-21"' in page.text
    assert 'id="episode-form"' not in page.text  # nothing can be launched without Dagster

    one = client_as("vera").get("/runs?channel=midnight")
    assert one.status_code == 200
    assert 'id="partition-midnight-2026-11-21"' in one.text and "partition-bedtime" not in one.text
    unknown = client_as("vera").get("/runs?channel=nope")
    assert unknown.status_code == 404 and "no channel 'nope'" in unknown.text.replace("&#39;", "'")


def test_without_a_session_nothing_is_shown_or_launched(app: Any, catalog_url: str) -> None:
    client = TestClient(app)
    page = client.get("/runs", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/runs"
    for path, data in (("/runs/episode", {"channel": "bedtime", "date": "2026-02-01"}),
                       ("/runs/backfill", {"channel": "bedtime", "date_from": "2026-02-01", "date_to": "2026-02-02"})):
        assert client.post(path, data=data, follow_redirects=False).status_code == 401
    assert audit_rows(catalog_url) == []


def test_a_launch_without_dagster_is_refused_naming_the_fix(client_as: Callable[[str], TestClient],
                                                            catalog_url: str) -> None:
    otto = client_as("otto")
    token = csrf_of(otto.get("/runs").text)
    response = otto.post("/runs/episode", data={"channel": "bedtime", "date": "2026-02-01", "csrf_token": token})
    assert response.status_code == 503
    assert "--dagster-url" in error_of(response.text)
    assert audit_rows(catalog_url) == []


@pytest.mark.parametrize("dagster_url", [UNANSWERED])
def test_forged_posts_and_viewers_are_refused(client_as: Callable[[str], TestClient], catalog_url: str) -> None:
    otto, vera = client_as("otto"), client_as("vera")
    data = {"channel": "bedtime", "date": "2026-02-01"}
    assert otto.post("/runs/episode", data=data).status_code == 403  # no token: a cross-site form
    assert otto.post("/runs/episode", data=data | {"csrf_token": "forged"}).status_code == 403
    backfill = {"channel": "bedtime", "date_from": "2026-02-01", "date_to": "2026-02-02", "csrf_token": "forged"}
    assert otto.post("/runs/backfill", data=backfill).status_code == 403
    viewer_page = vera.get("/runs")
    assert viewer_page.status_code == 200 and 'id="episode-form"' not in viewer_page.text
    assert 'id="readonly"' in viewer_page.text
    token = csrf_of(viewer_page.text)  # the logout form's token: a viewer's own valid token
    refused = vera.post("/runs/episode", data=data | {"csrf_token": token})
    assert refused.status_code == 403 and "operator role" in refused.text
    assert vera.post("/runs/backfill", data=backfill | {"csrf_token": token}).status_code == 403
    assert audit_rows(catalog_url) == []


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def _days_ago(days: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=days)).isoformat()


@pytest.mark.parametrize("dagster_url", [UNANSWERED])
@pytest.mark.parametrize(("path", "data", "expected"), [
    ("/runs/episode", {"channel": "nope", "date": "2026-02-01"}, ["channel:", "no channel 'nope'", "bedtime"]),
    ("/runs/episode", {"channel": "", "date": "2026-02-01"}, ["channel: choose a channel"]),
    ("/runs/episode", {"channel": "bedtime", "date": "2026-02-31"}, ["date: '2026-02-31' is not a date", "YYYY-MM-DD"]),
    ("/runs/episode", {"channel": "bedtime", "date": "1.2.2026"}, ["date: '1.2.2026' is not a date"]),
    ("/runs/episode", {"channel": "bedtime", "date": "2025-12-31"},
     ["date: 2025-12-31 is before", "STORYVID_START_DATE"]),
    ("/runs/episode", {"channel": "bedtime", "date": "2099-01-01"}, ["date: 2099-01-01 is in the future"]),
    ("/runs/backfill", {"channel": "bedtime", "date_from": "2026-02-10", "date_to": "2026-02-01"},
     ["from: 2026-02-10 is after to (2026-02-01)", "swap"]),
    ("/runs/backfill", {"channel": "bedtime", "date_from": "2026-01-01", "date_to": "2026-03-04"},
     ["to: 2026-01-01 to 2026-03-04 is 63 days", "at most 62 days", "split"]),
    ("/runs/backfill", {"channel": "bedtime", "date_from": "2026-01-01", "date_to": "soon"},
     ["to: 'soon' is not a date"]),
    ("/runs/backfill", {"channel": "midnigh", "date_from": "2026-01-01", "date_to": "2026-01-02"},
     ["channel: there is no channel 'midnigh'"]),
])
def test_bad_input_is_refused_naming_the_field_and_the_fix(
        client_as: Callable[[str], TestClient], catalog_url: str, path: str, data: dict[str, str],
        expected: list[str]) -> None:
    ada = client_as("ada")
    token = csrf_of(ada.get("/runs").text)
    response = ada.post(path, data=data | {"csrf_token": token})
    assert response.status_code == 400
    message = error_of(response.text)
    for part in expected:
        assert part in message, message
    assert audit_rows(catalog_url) == []


@pytest.mark.parametrize("dagster_url", [UNANSWERED])
def test_62_days_is_the_most_a_backfill_may_span(client_as: Callable[[str], TestClient], catalog_url: str) -> None:
    """62 days passes validation (and then fails only because nobody answers at the Dagster URL)."""
    ada = client_as("ada")
    token = csrf_of(ada.get("/runs").text)
    response = ada.post("/runs/backfill", data={"channel": "bedtime", "date_from": "2026-01-01",
                                                "date_to": "2026-03-03", "csrf_token": token})
    assert response.status_code == 502
    assert "did not answer" in error_of(response.text)
    today = ada.post("/runs/episode", data={"channel": "bedtime", "date": _today(), "csrf_token": token})
    assert today.status_code == 502  # today is a partition too
    assert audit_rows(catalog_url) == []


@pytest.mark.parametrize("dagster_url", [UNANSWERED])
def test_an_unreachable_dagster_still_shows_the_catalog_and_says_so(
        client_as: Callable[[str], TestClient], catalog_url: str, dagster_url: str) -> None:
    with session_scope(catalog_url) as session:
        set_episode_status(session, "bedtime", "2026-11-20", "published", 1)
    page = client_as("otto").get("/runs")
    assert page.status_code == 200
    dagster_error = re.search(r'id="dagster-error">(.*?)</div>', page.text, re.S)
    assert dagster_error and f"Dagster at {dagster_url} did not answer" in dagster_error.group(1)
    assert 'id="partition-bedtime-2026-11-20"' in page.text
    assert 'id="episode-form"' not in page.text


def test_dagster_urls_and_where_run_links_point() -> None:
    assert parse_dagster_url("http://127.0.0.1:3000") == ("127.0.0.1", 3000, False, "")
    assert parse_dagster_url("https://dagster.internal/dagster/") == ("dagster.internal", None, True, "/dagster")
    for bad in ("127.0.0.1:3000", "ftp://host", "http://host:99999", "http://host/?x=1"):
        with pytest.raises(ValueError, match="STORYVID_DAGSTER_URL"):
            parse_dagster_url(bad)
    # a webserver behind the console's /dagster: links go through the console unless another UI address is given
    assert ui_base("http://127.0.0.1:3000/dagster", "http://127.0.0.1:3000/dagster") == "/dagster"
    assert ui_base("http://127.0.0.1:3000/dagster", None) == "/dagster"
    assert ui_base("http://127.0.0.1:3000/dagster", "https://ops.example/dagster/") == "https://ops.example/dagster"
    assert ui_base("http://127.0.0.1:3000", "http://127.0.0.1:3000") == "http://127.0.0.1:3000"


def test_the_cli_takes_the_dagster_url_from_the_setting(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr("storyvid_assets.console.app.serve", lambda *args, **kwargs: served.update(kwargs))
    monkeypatch.setattr(cli, "catalog_url", lambda: "sqlite://")
    monkeypatch.setattr(cli, "media_store", lambda: None)
    parser = argparse.ArgumentParser()
    cli.add_serve_arguments(parser)
    monkeypatch.setenv("STORYVID_DAGSTER_URL", "http://127.0.0.1:3000/dagster")
    reset_settings()
    assert cli.cmd_serve(parser.parse_args([])) == 0
    assert served["dagster_url"] == "http://127.0.0.1:3000/dagster"
    assert cli.cmd_serve(parser.parse_args(["--dagster-url", "http://10.0.0.5:3000"])) == 0
    assert served["dagster_url"] == "http://10.0.0.5:3000"  # the flag wins over the setting
    monkeypatch.setenv("STORYVID_DAGSTER_URL", "localhost:3000")
    reset_settings()
    served.clear()
    assert cli.cmd_serve(parser.parse_args([])) == 2
    assert served == {} and "STORYVID_DAGSTER_URL" in capsys.readouterr().err
    monkeypatch.delenv("STORYVID_DAGSTER_URL")
    reset_settings()
    assert cli.cmd_serve(parser.parse_args([])) == 0
    assert served["dagster_url"] is None


# -- against a real Dagster ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterDeployment]:
    with dagster_deployment(tmp_path_factory.mktemp("dagster"), daemon=True) as running:
        yield running


def partition_tags(channel: str, date: str) -> dict[str, str]:
    """The partition tags Dagster gives a run of the (channel, date) multi-partition."""
    return {"dagster/partition": f"{channel}|{date}", "dagster/partition/channel": channel,
            "dagster/partition/date": date}


def launch(client: TestClient, channel: str, date: str) -> str:
    token = csrf_of(client.get("/runs").text)
    response = client.post("/runs/episode", data={"channel": channel, "date": date, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    match = re.fullmatch(rf"/runs\?channel={channel}&launched=([0-9a-f-]{{36}})", location)
    assert match, location
    return match.group(1)


@pytest.mark.slow
class TestAgainstDagster:
    @pytest.fixture
    def dagster_url(self, deployment: DagsterDeployment) -> str:
        return deployment.url

    @pytest.mark.timeout(180)
    def test_make_this_episode_launches_a_tagged_run_the_page_follows(
            self, deployment: DagsterDeployment, client_as: Callable[[str], TestClient], catalog_url: str) -> None:
        otto = client_as("otto")
        before = deployment.run_ids()
        run_id = launch(otto, "bedtime", "2026-02-03")
        assert deployment.run_ids() - before == {run_id}

        run = deployment.run(run_id)
        tags = {t["key"]: t["value"] for t in run["tags"]}
        assert run["jobName"] == "episode_job"
        assert {k: v for k, v in tags.items() if k.startswith("dagster/partition")} == \
            partition_tags("bedtime", "2026-02-03")
        assert {"storyvid/channel": "bedtime", "storyvid/trigger": "console",
                "storyvid/requested-by": "otto"}.items() <= tags.items()

        page = otto.get(f"/runs?channel=bedtime&launched={run_id}")
        assert page.status_code == 200
        status = re.search(r'id="launched-status">([A-Z_]+)<', page.text)
        assert status and status.group(1) in RUN_STATUSES
        assert f'href="/dagster/runs/{run_id}"' in page.text  # the run page, through the console's proxy
        row = re.search(r'<tr id="partition-bedtime-2026-02-03" class="just-launched">.*?</tr>', page.text, re.S)
        assert row and f"/dagster/runs/{run_id}" in row.group(0)

        [audit] = audit_rows(catalog_url)
        assert audit[:3] == ("runs.make_episode", "otto", "bedtime|2026-02-03")
        assert audit[3] == {"status": None} and audit[4]["run_id"] == run_id
        assert audit[4]["tags"]["dagster/partition"] == "bedtime|2026-02-03"

        assert deployment.terminate(run_id) == "CANCELED"
        after = otto.get("/runs?channel=bedtime").text
        row = re.search(r'<tr id="partition-bedtime-2026-02-03".*?</tr>', after, re.S)
        assert row and ">CANCELED<" in row.group(0)

        # a viewer's launch is refused and changes nothing in Dagster
        vera = client_as("vera")
        token = csrf_of(vera.get("/runs").text)
        runs = deployment.run_ids()
        refused = vera.post("/runs/episode", data={"channel": "bedtime", "date": "2026-02-04", "csrf_token": token})
        assert refused.status_code == 403
        assert deployment.run_ids() == runs
        assert len(audit_rows(catalog_url)) == 1

    @pytest.mark.timeout(180)
    def test_backfill_these_dates_launches_a_partition_backfill(
            self, deployment: DagsterDeployment, client_as: Callable[[str], TestClient], catalog_url: str) -> None:
        ada = client_as("ada")
        token = csrf_of(ada.get("/runs").text)
        response = ada.post("/runs/backfill", follow_redirects=False, data={
            "channel": "midnight", "date_from": "2026-01-10", "date_to": "2026-01-12", "csrf_token": token})
        assert response.status_code == 303, response.text
        match = re.fullmatch(r"/runs\?channel=midnight&backfill=([a-z0-9]+)", response.headers["location"])
        assert match, response.headers["location"]
        backfill_id = match.group(1)

        backfill = deployment.backfill(backfill_id)
        assert backfill["jobName"] == "episode_job"
        assert backfill["partitionNames"] == ["midnight|2026-01-10", "midnight|2026-01-11", "midnight|2026-01-12"]
        tags = {t["key"]: t["value"] for t in (backfill["tags"])}
        assert {"storyvid/channel": "midnight", "storyvid/trigger": "console-backfill",
                "storyvid/requested-by": "ada"}.items() <= tags.items()
        listed = deployment.graphql("{ partitionBackfillsOrError { ... on PartitionBackfills { results { id } } } }")
        assert backfill_id in [b["id"] for b in listed["partitionBackfillsOrError"]["results"]]

        page = ada.get(response.headers["location"])
        status = re.search(r'id="backfill-status">([A-Z_]+)<', page.text)
        assert status and status.group(1) in {"REQUESTED", "COMPLETED", "COMPLETED_SUCCESS", "CANCELING", "CANCELED"}
        assert f'href="/dagster/runs/b/{backfill_id}"' in page.text
        assert "2026-01-10 .. 2026-01-12 (3)" in page.text

        [audit] = audit_rows(catalog_url)
        assert audit[:3] == ("runs.backfill", "ada", "midnight 2026-01-10..2026-01-12")
        assert audit[4] == {"backfill_id": backfill_id, "job": "episode_job", "partitions": 3}

        # the daemon submits the backfill's runs; Dagster tags each with its partition as a console run is tagged
        deadline = time.monotonic() + 40
        while not deployment.backfill(backfill_id)["runs"]:
            assert time.monotonic() < deadline, "the daemon submitted no run of the backfill in 40 s"
            time.sleep(0.5)
        deployment.cancel_backfill(backfill_id)
        checked: set[str] = set()
        deadline = time.monotonic() + 60
        while True:  # until the daemon has stopped submitting and every run it submitted is finished
            state = deployment.backfill(backfill_id)
            for run in state["runs"]:
                if run["runId"] not in checked:
                    run_tags = {t["key"]: t["value"] for t in deployment.run(run["runId"])["tags"]}
                    assert run_tags["dagster/backfill"] == backfill_id
                    date = run_tags["dagster/partition/date"]
                    assert {k: v for k, v in run_tags.items() if k.startswith("dagster/partition")} == \
                        partition_tags("midnight", date) | {"dagster/partition_set": "episode_job_partition_set"}
                    deployment.terminate(run["runId"])
                    checked.add(run["runId"])
            if state["status"] == "CANCELED":
                break
            assert time.monotonic() < deadline, f"backfill {backfill_id} is still {state['status']} after 60 s"
            time.sleep(0.5)
        assert checked

    @pytest.mark.browser
    @pytest.mark.timeout(180)
    def test_an_operator_launches_in_chromium_and_a_viewer_has_no_form(
            self, deployment: DagsterDeployment, server: str, browser: Any) -> None:
        page = log_in(browser, server, "otto")
        page.goto(f"{server}/runs")
        page.select_option("#episode-channel", "midnight")
        page.fill("#episode-date", "2026-02-05")
        page.click("#make-episode")
        page.wait_for_selector("#launched-status")
        assert page.inner_text("#launched-status") in RUN_STATUSES
        run_id = page.get_attribute("#launched-link", "href").rsplit("/", 1)[1]
        assert page.is_visible("#partition-midnight-2026-02-05.just-launched")
        assert run_id in deployment.run_ids()
        screenshots(page, "runs")
        deployment.terminate(run_id)
        page.reload()
        assert "CANCELED" in page.inner_text("#partition-midnight-2026-02-05")

        # the link opens Dagster's run page through the console, whose event log streams over the websocket
        sockets: list[str] = []
        page.on("websocket", lambda socket: sockets.append(socket.url))
        page.click("#partition-midnight-2026-02-05 a.run-link")
        page.wait_for_url(f"**/dagster/runs/{run_id}", timeout=30_000)
        page.wait_for_selector(f"text={run_id[:8]}", timeout=30_000)
        page.wait_for_selector("text=RUN_CANCELED", timeout=30_000)  # an event from the run's log subscription
        assert any(url.endswith("/dagster/graphql") for url in sockets), sockets

        viewer = log_in(browser, server, "vera")
        viewer.goto(f"{server}/runs")
        assert viewer.query_selector("#episode-form") is None and viewer.query_selector("#backfill-form") is None
        assert "viewer" in viewer.inner_text("#readonly")
        assert viewer.is_visible("#partition-midnight-2026-02-05")  # viewers see the runs
        screenshots(viewer, "runs-viewer")

