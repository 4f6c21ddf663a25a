"""The console's channels page: everyone looks, admins edit (preview a diff, save on the previewed base, roll
back), every change is audited, and the schedule switch and budget overrides are honoured by the daily schedule
and the cost ledger."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import datetime
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from storyvid_assets.assets.schedules import channel_schedule
from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries import configurations as config_db
from storyvid_assets.catalog.queries import controls as controls_db
from storyvid_assets.catalog.queries.console import console_audit
from storyvid_assets.channels import load_channels
from storyvid_assets.definitions import build_episode_job
from storyvid_assets.models import ProviderUsage
from storyvid_assets.provider_config import ChannelProviders
from storyvid_assets.resources.budget import CostLedger
from storyvid_assets.resources.scope import ProviderScope
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_tests.browser import screenshots
from storyvid_tests.console.conftest import csrf_of, log_in

Client = Callable[[str], TestClient]


def edit_form(html: str) -> dict[str, str]:
    """The fields of the page's edit form as a browser would send them (selected options, input values)."""
    form = re.search(r'<form method="post" action="/channels/[a-z0-9_-]+/preview" id="edit-form".*?</form>', html,
                     re.S)
    assert form, "the page has no edit form"
    text = form.group(0)
    fields = {m.group(1): unescape(m.group(2)) for m in re.finditer(r'<input [^>]*name="([^"]+)"[^>]*value="([^"]*)"',
                                                                    text)}
    for select in re.finditer(r'<select name="([^"]+)".*?</select>', text, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', select.group(0))
        fields[select.group(1)] = chosen.group(1) if chosen else ""
    fields["note"] = ""
    return fields


def save_form(html: str) -> dict[str, str]:
    """The hidden fields of the preview's save form."""
    form = re.search(r'<form method="post" action="/channels/[a-z0-9_-]+/save" id="save-form">.*?</form>', html, re.S)
    assert form, "the preview has no save form"
    return {m.group(1): unescape(m.group(2))
            for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0))}


def preview(client: TestClient, channel: str, **changes: str) -> Any:
    page = client.get(f"/channels/{channel}")
    assert page.status_code == 200
    return client.post(f"/channels/{channel}/preview", data={**edit_form(page.text), **changes})


def state(catalog_url: str, channel: str) -> dict[str, Any]:
    """Everything a console change could touch, to compare before/after a refused request."""
    with session_scope(catalog_url) as session:
        active = config_db.active_configuration(session, channel)
        row = controls_db.channel_controls(session, channel)
        return {
            "versions": [(c.version, c.is_active, c.settings) for c in config_db.configurations(session, channel)],
            "active": active.version if active else 0,
            "controls": (row.revision, row.schedule_enabled, row.budgets_usd) if row else None,
            "audit": [(a.action, a.actor) for a in console_audit(session, target=f"channel {channel}")],
            "changes": [c.id for c in config_db.changes(session, channel)],
        }


def test_every_role_sees_every_channel_with_its_configuration(client_as: Client) -> None:
    for user in ("ada", "otto", "vera"):
        client = client_as(user)
        page = client.get("/channels")
        assert page.status_code == 200
        for name in load_channels():
            assert f'id="channel-{name}"' in page.text
        assert "Moonlit Bedtime Stories" in page.text and "Midnight Tales" in page.text
        detail = client.get("/channels/midnight")
        assert detail.status_code == 200
        assert 'id="in-force-music_mood">tense<' in detail.text  # the channel file's mood, version 0
        assert "the channel file (version 0)" in detail.text
        assert ('id="edit-form"' in detail.text) == (user == "ada")
        assert ('id="rollback-' in detail.text) is False  # nothing to roll back to yet
    assert client_as("vera").get("/channels/nonesuch").status_code == 404


def test_a_request_without_a_session_is_refused(app: Any, catalog_url: str) -> None:
    anonymous = TestClient(app)
    page = anonymous.get("/channels", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    before = state(catalog_url, "bedtime")
    for action in ("preview", "save", "rollback"):
        refused = anonymous.post(f"/channels/bedtime/{action}", data={"music_mood": "calm", "schedule": "off"})
        assert refused.status_code == 401
    assert state(catalog_url, "bedtime") == before


def test_viewers_and_operators_cannot_change_anything(client_as: Client, catalog_url: str) -> None:
    admin_page = client_as("ada").get("/channels/bedtime")
    fields = {**edit_form(admin_page.text), "music_mood": "calm", "schedule": "off"}
    before = state(catalog_url, "bedtime")
    for user in ("vera", "otto"):
        client = client_as(user)
        page = client.get("/channels/bedtime")
        assert 'id="readonly"' in page.text and 'id="edit-form"' not in page.text
        token = csrf_of(page.text)
        for action in ("preview", "save"):
            refused = client.post(f"/channels/bedtime/{action}", data={**fields, "csrf_token": token})
            assert refused.status_code == 403, refused.text
            assert "needs the admin role" in refused.text
        refused = client.post("/channels/bedtime/rollback", data={"version": "0", "base_version": "0",
                                                                   "csrf_token": token})
        assert refused.status_code == 403
    assert state(catalog_url, "bedtime") == before


def test_forged_cross_site_posts_are_refused(client_as: Client, catalog_url: str) -> None:
    ada = client_as("ada")
    page = ada.get("/channels/bedtime")
    fields = {**edit_form(page.text), "music_mood": "calm"}
    before = state(catalog_url, "bedtime")
    for token in (None, "forged-token"):
        data = {k: v for k, v in fields.items() if k != "csrf_token"}
        if token:
            data["csrf_token"] = token
        for action in ("preview", "save"):
            refused = ada.post(f"/channels/bedtime/{action}", data=data)
            assert refused.status_code == 403 and "not sent by the console" in refused.text
        refused = ada.post("/channels/bedtime/rollback", data={"version": "0", "base_version": "0",
                                                               **({"csrf_token": token} if token else {})})
        assert refused.status_code == 403
    assert state(catalog_url, "bedtime") == before


def test_admin_previews_a_diff_then_saves_a_new_version_with_an_audit_row(client_as: Client,
                                                                          catalog_url: str) -> None:
    ada = client_as("ada")
    page = ada.get("/channels/bedtime").text
    assert '<option value="calm"' in page and '<option value="dark"' not in page  # the kids policy's choices
    shown = preview(ada, "bedtime", music_mood="calm", narrator_rate="140", note="calmer evenings")
    assert shown.status_code == 200, shown.text
    assert '<span class="line del">- music_mood: dreamy</span>' in shown.text
    assert '<span class="line add">+ music_mood: calm</span>' in shown.text
    assert '<span class="line del">- narrator_rate: 150</span>' in shown.text
    assert '<span class="line same">  genre: bedtime</span>' in shown.text
    assert state(catalog_url, "bedtime")["versions"] == [], "a preview saves nothing"
    hidden = save_form(shown.text)
    assert hidden["base_version"] == "0" and hidden["music_mood"] == "calm"

    saved = ada.post("/channels/bedtime/save", data=hidden, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/channels/bedtime?done=saved"
    with session_scope(catalog_url) as session:
        active = config_db.active_configuration(session, "bedtime")
        assert active is not None and active.version == 1 and active.created_by == "ada"
        assert active.settings["music_mood"] == "calm" and active.settings["narrator_rate"] == 140
        assert active.reason == "calmer evenings"
        change = config_db.changes(session, "bedtime")[-1]
        assert (change.source, change.status, change.from_version, change.to_version) == ("console", "applied", 0, 1)
        audit = console_audit(session, target="channel bedtime")
        assert [a.action for a in audit] == ["configuration_saved"]
        assert audit[0].actor == "ada"
        assert audit[0].before["version"] == 0 and audit[0].before["settings"]["music_mood"] == "dreamy"
        assert audit[0].after["version"] == 1 and audit[0].after["settings"]["music_mood"] == "calm"
        assert controls_db.channel_controls(session, "bedtime") is None, "schedule and budgets were not touched"
    page = ada.get("/channels/bedtime?done=saved")
    assert 'id="active-version">version 1<' in page.text and 'id="notice"' in page.text
    assert 'id="in-force-music_mood">calm<' in page.text
    assert "music_mood: dreamy → calm" in page.text  # the history says what changed, and who
    assert ada.get("/channels/bedtime?done=<script>x</script>").text.count("<script>x") == 0


def test_a_save_on_a_stale_base_version_is_a_409_and_loses_nothing(client_as: Client, catalog_url: str) -> None:
    ada = client_as("ada")
    first = save_form(preview(ada, "bedtime", music_mood="calm").text)
    second = save_form(preview(ada, "bedtime", thumbnail_variant="b").text)
    assert first["base_version"] == second["base_version"] == "0"
    assert ada.post("/channels/bedtime/save", data=first, follow_redirects=False).status_code == 303
    before = state(catalog_url, "bedtime")

    late = ada.post("/channels/bedtime/save", data=second, follow_redirects=False)
    assert late.status_code == 409
    assert "Someone saved configuration version 1" in late.text and "nothing was saved" in late.text
    assert state(catalog_url, "bedtime") == before, "the first change stays; the second overwrote nothing"
    kept = edit_form(late.text)  # the admin's values are kept, on the version now in force
    assert kept["thumbnail_variant"] == "b" and kept["base_version"] == "1"
    assert ada.post("/channels/bedtime/preview", data=second).status_code == 409  # a stale preview too

    again = ada.post("/channels/bedtime/preview", data=kept)
    assert again.status_code == 200
    assert '<span class="line add">+ thumbnail_variant: b</span>' in again.text
    assert '<span class="line del">- music_mood: calm</span>' in again.text  # the form's mood would undo v1: shown
    # controls: a stale controls revision is refused the same way
    off = save_form(preview(ada, "bedtime", schedule="off").text)
    budget = save_form(preview(ada, "bedtime", **{"new_budget_provider": "openai", "new_budget_usd": "4"}).text)
    assert ada.post("/channels/bedtime/save", data=off, follow_redirects=False).status_code == 303
    stale = ada.post("/channels/bedtime/save", data=budget, follow_redirects=False)
    assert stale.status_code == 409 and "were changed by ada" in stale.text
    assert state(catalog_url, "bedtime")["controls"] == (1, False, {})


@pytest.mark.parametrize(("channel", "changes", "field", "words"), [
    ("bedtime", {"narrator_rate": "fast"}, "narrator_rate", "80 to 450"),
    ("bedtime", {"narrator_rate": "600"}, "narrator_rate", "80 to 450"),
    ("bedtime", {"music_mood": "dark"}, "music_mood", "never used on a kids channel"),
    ("bedtime", {"narrator_rate": "200"}, "narrator_rate", "too fast for a kids channel"),
    ("bedtime", {"genre": "horror"}, "genre", "not one of the channel's genres"),
    ("midnight", {"posting_hour": "9"}, "posting_hour", "allowed hours"),
    ("midnight", {"music_mood": "playful"}, "music_mood", "forbidden_moods"),
    ("bedtime", {"narrator_voice": "en us; rm"}, "narrator_voice", "not a voice id"),
    ("bedtime", {"budget.openai": "-3"}, "budget.openai", "above 0"),
    ("bedtime", {"new_budget_provider": "open ai", "new_budget_usd": "3"}, "new_budget_provider", "provider name"),
    ("bedtime", {"new_budget_provider": "openai", "new_budget_usd": "lots"}, "budget.openai", "not an amount"),
    ("bedtime", {"schedule": "sometimes"}, "schedule", "on or off"),
])
def test_bad_values_are_422_naming_the_field_and_nothing_changes(
    client_as: Client, catalog_url: str, channel: str, changes: dict[str, str], field: str, words: str
) -> None:
    ada = client_as("ada")
    before = state(catalog_url, channel)
    refused = preview(ada, channel, **changes)
    assert refused.status_code == 422, refused.text
    message = unescape(re.search(r'<div class="error" id="error">(.*?)</div>', refused.text, re.S).group(1))
    assert message.startswith(field) and words in message and "Fix:" in message, message
    assert 'id="save-form"' not in refused.text
    # the save step validates again: a forged save with the bad value is refused the same way
    fields = {**edit_form(refused.text), "csrf_token": csrf_of(refused.text)}
    again = ada.post(f"/channels/{channel}/save", data=fields, follow_redirects=False)
    assert again.status_code == 422
    assert state(catalog_url, channel) == before


def test_rollback_makes_an_earlier_version_active_again_with_an_audit_row(client_as: Client,
                                                                          catalog_url: str) -> None:
    ada = client_as("ada")
    saved = ada.post("/channels/bedtime/save", data=save_form(preview(ada, "bedtime", music_mood="playful").text),
                     follow_redirects=False)
    assert saved.status_code == 303
    page = ada.get("/channels/bedtime")
    assert 'id="rollback-0"' in page.text and 'id="rollback-1"' not in page.text  # the active one has no button
    token = csrf_of(page.text)
    stale = ada.post("/channels/bedtime/rollback", data={"version": "0", "base_version": "0", "csrf_token": token})
    assert stale.status_code == 409 and "nothing was rolled back" in stale.text
    unknown = ada.post("/channels/bedtime/rollback", data={"version": "7", "base_version": "1", "csrf_token": token})
    assert unknown.status_code == 404 and "no configuration version 7" in unknown.text

    done = ada.post("/channels/bedtime/rollback", data={"version": "0", "base_version": "1", "csrf_token": token,
                                                         "note": "playful kept them awake"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/channels/bedtime?done=rolled_back"
    with session_scope(catalog_url) as session:
        active = config_db.active_configuration(session, "bedtime")
        assert active is not None and active.version == 2 and active.created_by == "ada"
        assert active.settings["music_mood"] == "dreamy"
        audit = console_audit(session, target="channel bedtime")
        assert [a.action for a in audit] == ["configuration_rolled_back", "configuration_saved"]
        assert audit[0].before["version"] == 1 and audit[0].before["settings"]["music_mood"] == "playful"
        assert audit[0].after["version"] == 2 and audit[0].after["settings"]["music_mood"] == "dreamy"
        assert audit[0].detail == "playful kept them awake"
        assert config_db.changes(session, "bedtime")[-1].source == "rollback"
    page = ada.get("/channels/bedtime")
    assert 'id="active-version">version 2<' in page.text and 'id="in-force-music_mood">dreamy<' in page.text


def tick(hour: int) -> datetime:
    return datetime(2026, 11, 25, hour, 0, tzinfo=ZoneInfo("America/New_York"))


def test_a_channel_switched_off_in_the_console_is_skipped_by_its_daily_schedule(client_as: Client,
                                                                                 catalog_url: str) -> None:
    schedule = channel_schedule(load_channels()["midnight"], build_episode_job())
    catalog = CatalogResource(url=catalog_url)

    def evaluate() -> object:
        return schedule(dg.build_schedule_context(scheduled_execution_time=tick(21), resources={"catalog": catalog}))

    assert isinstance(evaluate(), dg.RunRequest)
    ada = client_as("ada")
    off = ada.post("/channels/midnight/save", data=save_form(preview(ada, "midnight", schedule="off").text),
                   follow_redirects=False)
    assert off.status_code == 303
    skipped = evaluate()
    assert isinstance(skipped, dg.SkipReason) and "switched off in the console" in (skipped.skip_message or "")
    with session_scope(catalog_url) as session:
        audit = console_audit(session, target="channel midnight")[0]
        assert audit.before["schedule_enabled"] is True and audit.after["schedule_enabled"] is False
        assert config_db.active_configuration(session, "midnight") is None, "no setting changed: no new version"
    page = ada.get("/channels/midnight")
    assert 'id="schedule-state" class="status schedule-off">off<' in page.text
    on = ada.post("/channels/midnight/save", data=save_form(preview(ada, "midnight", schedule="on").text),
                  follow_redirects=False)
    assert on.status_code == 303
    request = evaluate()
    assert isinstance(request, dg.RunRequest) and request.partition_key == "midnight|2026-11-25"
    with session_scope(catalog_url) as session:  # the other channel was never switched off
        assert controls_db.schedule_enabled(session, "bedtime")


def spend(tokens: tuple[int, int]) -> ProviderUsage:
    return ProviderUsage(kind="story", provider="openai", model="gpt-4o", tier="premium",
                         units={"input_tokens": tokens[0], "output_tokens": tokens[1]})


def test_a_budget_override_replaces_the_file_budget_where_budgets_are_enforced(client_as: Client,
                                                                               catalog_url: str) -> None:
    ledger = CostLedger(catalog_url=catalog_url)
    file_budget = ChannelProviders(budgets_usd={"openai": 100.0})  # what the channel file says
    scope = ProviderScope(run_id="r", channel="bedtime", date="2026-11-25", asset="story", providers=file_budget)
    ledger.record(scope, [spend((1000, 600))])  # $0.0085
    assert ledger.choose_tier(scope, "openai") == "premium"  # 0.0085 of $100: nowhere near the budget
    ada = client_as("ada")
    shown = preview(ada, "bedtime", new_budget_provider="openai", new_budget_usd="0.01")
    assert '<span class="line add">+ budget.openai: 0.01 USD/day (console)</span>' in shown.text
    assert ada.post("/channels/bedtime/save", data=save_form(shown.text), follow_redirects=False).status_code == 303
    assert ledger.budget(scope, "openai") == pytest.approx(0.01)
    assert ledger.choose_tier(scope, "openai") == "budget"  # 85% of the console's $0.01
    ledger.record(scope, [spend((1000, 200))])
    assert ledger.choose_tier(scope, "openai") is None  # used up: the partition would pause
    error = ledger.pause(scope, "openai")
    assert "budget of $0.0100" in str(error)
    other = ProviderScope(channel="midnight", providers=file_budget)
    assert ledger.budget(other, "openai") == 100.0  # an override is per channel
    page = ada.get("/channels/bedtime")
    assert re.search(r"<td>openai</td><td>—</td>\s*<td>0.01</td><td><strong>0.01</strong>", page.text)
    # clearing the override gives the file's budget back
    fields = {**edit_form(page.text), "budget.openai": ""}
    cleared = ada.post("/channels/bedtime/preview", data=fields)
    assert '<span class="line del">- budget.openai: 0.01 USD/day (console)</span>' in cleared.text
    assert ada.post("/channels/bedtime/save", data=save_form(cleared.text), follow_redirects=False).status_code == 303
    assert ledger.budget(scope, "openai") == 100.0


# --------------------------------------------------------------------------- real browser


@pytest.mark.browser
def test_admin_previews_saves_and_rolls_back_in_chromium(server: str, browser: Any, catalog_url: str) -> None:
    page = log_in(browser, server, "ada")
    page.goto(f"{server}/channels")
    assert page.locator("#channel-bedtime").is_visible()
    screenshots(page, "channels-list")
    page.click("#channel-bedtime a")
    page.wait_for_selector("#edit-form")
    page.select_option("#f-music_mood", "calm")
    page.fill("#f-note", "calmer")
    page.click("#preview-button")
    page.wait_for_selector("#diff")
    assert page.locator("#diff .del").all_inner_texts() == ["- music_mood: dreamy"]
    assert page.locator("#diff .add").all_inner_texts() == ["+ music_mood: calm"]
    page.locator("#preview").scroll_into_view_if_needed()
    screenshots(page, "channels-diff")
    page.click("#save")
    page.wait_for_selector("#notice")
    assert page.inner_text("#active-version") == "version 1"
    assert page.inner_text("#in-force-music_mood") == "calm"
    page.click("#rollback-0")
    page.wait_for_selector("#notice")
    assert page.inner_text("#active-version") == "version 2"
    assert page.inner_text("#in-force-music_mood") == "dreamy"
    screenshots(page, "channels-detail")  # with its history: the file, the saved version and the rollback
    with session_scope(catalog_url) as session:
        actions = [a.action for a in console_audit(session, target="channel bedtime")]
    assert actions == ["configuration_rolled_back", "configuration_saved"]


@pytest.mark.browser
def test_a_viewer_sees_the_configuration_but_no_edit_controls_in_chromium(server: str, browser: Any) -> None:
    page = log_in(browser, server, "vera")
    page.goto(f"{server}/channels/midnight")
    assert page.locator("#readonly").is_visible()
    assert page.inner_text("#in-force-music_mood") == "tense"
    assert page.locator("#edit-form").count() == 0
    assert page.locator("button[id^=rollback-]").count() == 0
    assert page.locator("#save").count() == 0
    screenshots(page, "channels-detail-viewer")


# --------------------------------------------------------------------------- concurrent saves, both databases


def race_controls(url: str, based_on: int, workers: int = 8) -> list[str]:
    """``workers`` transactions saving the controls on the same base revision at once; each says won/conflict."""
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []

    def save(index: int) -> None:
        barrier.wait()
        try:
            with session_scope(url) as session:
                controls_db.set_channel_controls(session, "bedtime", based_on=based_on, schedule_enabled=index % 2 == 0,
                                                 budgets_usd={"openai": float(index + 1)}, updated_by=f"admin{index}")
            outcomes.append("won")
        except controls_db.ControlsConflict:
            outcomes.append("conflict")
        except OperationalError:  # SQLite: "database is locked" for a writer that waited too long; nothing written
            outcomes.append("refused")

    threads = [threading.Thread(target=save, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_concurrent_control_saves_on_one_base_let_exactly_one_win(database: str, request: pytest.FixtureRequest
                                                                  ) -> None:
    from storyvid_assets.catalog.db import migrate

    url = request.getfixturevalue("sqlite_catalog_url" if database == "sqlite" else "postgres_url")
    migrate(url)
    for based_on in (0, 1):  # the first save creates the row, the second updates it
        outcomes = race_controls(url, based_on)
        assert outcomes.count("won") == 1, outcomes
        with session_scope(url) as session:
            row = controls_db.channel_controls(session, "bedtime")
            assert row is not None and row.revision == based_on + 1
    stale = race_controls(url, 0, workers=2)
    assert stale == ["conflict", "conflict"]
