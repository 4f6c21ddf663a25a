"""``storyvid review ...`` on a catalog in a temporary home."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.cli import main
from storyvid_assets.review.cli import catalog_url
from storyvid_assets.review.queue import get_item
from storyvid_tests.review.conftest import open_item


@pytest.fixture
def home_item(storyvid_home: Path) -> tuple[str, int]:
    url = catalog_url()
    return url, open_item(url)


def rows(out: str) -> list[list[str]]:
    """The first five columns of a printed table, without the header."""
    return [line.split()[:5] for line in out.strip().splitlines()[1:]]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["review", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_show_approve(home_item: tuple[str, int], capsys: pytest.CaptureFixture[str]) -> None:
    _, item_id = home_item
    code, out, _ = run(capsys, "list")
    assert code == 0 and rows(out) == [[str(item_id), "midnight|2026-03-01", "story/story_text_policy", "1", "open"]]
    code, out, _ = run(capsys, "show", str(item_id))
    assert code == 0 and "status: open" in out and 'profanity (severe): profanity "fuck"' in out
    assert "where: scene 2 narration, characters 18-22" in out
    code, out, _ = run(capsys, "approve", str(item_id), "--note", "a character is called that")
    assert code == 0 and "open -> approved by cli:" in out
    code, out, _ = run(capsys, "show", str(item_id))
    assert "cli:" in out and "approve open -> approved a character is called that" in out
    assert run(capsys, "list")[1].strip() == "no open review items"
    assert rows(run(capsys, "list", "--status", "approved")[1])[0][:2] == [str(item_id), "midnight|2026-03-01"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["approve", "999", "--note", "ok"], "there is no review item 999"),
        (["show", "999"], "there is no review item 999"),
        (["approve", "{id}"], "a note is required"),
        (["reject", "{id}", "--note", "  "], "a note is required"),
        (["list", "--status", "pending"], "unknown status 'pending'"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(
    home_item: tuple[str, int], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    url, item_id = home_item
    code, _, err = run(capsys, *[a.replace("{id}", str(item_id)) for a in args])
    assert code == 2 and err.startswith("error: ") and message in err
    with session_scope(url) as session:
        assert get_item(session, item_id).status == "open"


def test_deciding_twice_is_refused(home_item: tuple[str, int], capsys: pytest.CaptureFixture[str]) -> None:
    url, item_id = home_item
    assert run(capsys, "reject", str(item_id), "--note", "gore")[0] == 0
    code, _, err = run(capsys, "approve", str(item_id), "--note", "oops")
    assert code == 2 and "already rejected" in err
    with session_scope(url) as session:
        assert get_item(session, item_id).status == "rejected"


def test_users(storyvid_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert (
        run(capsys, "users", "add", "otto", "--role", "operator", "--password-stdin")[1].strip()
        == "added otto (operator)"
    )
    monkeypatch.setenv("STORYVID_REVIEW_PASSWORD", "short")
    code, _, err = run(capsys, "users", "add", "vera", "--role", "viewer")
    assert code == 2 and "at least 10 characters" in err
    assert run(capsys, "users", "set-role", "otto", "admin")[1].strip() == "otto is now admin"
    assert rows(run(capsys, "users", "list")[1]) == [["1", "otto", "admin", "yes"]]
