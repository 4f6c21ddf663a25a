"""``storyvid analytics`` and ``storyvid config`` as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.catalog.queries.configurations import activate_new_version, configurations
from storyvid_assets.cli import main
from storyvid_assets.settings import reset_settings


@pytest.fixture
def catalog(storyvid_home: Path) -> str:
    reset_settings()
    url = f"sqlite:///{storyvid_home / 'catalog.db'}"
    migrate(url)
    return url


def test_simulate_then_show_labels_everything_simulated(catalog: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analytics", "simulate", "--channel", "bedtime", "--days", "12", "--end", "2026-10-12",
                 "--plant", "music_mood=calm:completion=0.1"]) == 0
    out = capsys.readouterr().out
    assert "SIMULATED audience: 12 days" in out and "12 simulated episodes" in out
    assert "mature episodes" in out, "the last day's recommendation (or why there is none) is printed"
    assert main(["analytics", "show", "--channel", "bedtime", "--rows", "5"]) == 0
    shown = capsys.readouterr().out
    assert "2026-10-12" in shown and "SIMULATED" in shown


def test_a_bad_planted_effect_names_the_fix(catalog: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analytics", "simulate", "--channel", "bedtime", "--days", "2", "--plant", "calm"]) == 2
    assert "FEATURE=VALUE:completion=0.1" in capsys.readouterr().err


def test_config_show_history_and_rollback(catalog: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "history", "--channel", "bedtime"]) == 0
    assert "only its channel file" in capsys.readouterr().out
    with session_scope(catalog) as session:
        activate_new_version(session, "bedtime", None, {"music_mood": "calm"}, name="bedtime: calm",
                             created_by="test", reason="recommendations")
    assert main(["config", "show", "--channel", "bedtime"]) == 0
    shown = capsys.readouterr().out
    assert "active configuration version 1" in shown and "calm" in shown
    assert main(["config", "rollback", "--channel", "bedtime", "--to", "0", "--note", "back to the file"]) == 0
    assert "version 2 is active" in capsys.readouterr().out
    with session_scope(catalog) as session:
        assert [(c.version, c.is_active, c.settings.get("music_mood")) for c in configurations(session, "bedtime")] \
            == [(1, False, "calm"), (2, True, "dreamy")]
    assert main(["config", "history", "--channel", "bedtime"]) == 0
    history = capsys.readouterr().out
    assert "rollback" in history and "calm → dreamy" in history
    assert main(["config", "rollback", "--channel", "bedtime", "--to", "9"]) == 2
    assert "known versions" in capsys.readouterr().err


def test_import_reports_posts_that_are_not_the_channels(catalog: str, capsys: pytest.CaptureFixture[str]) -> None:
    sample = Path(__file__).resolve().parents[1] / "examples" / "analytics" / "storyvid_metrics.csv"
    assert main(["analytics", "import", str(sample), "--channel", "bedtime"]) == 0
    out = capsys.readouterr().out
    assert "0 daily rows stored" in out and "not uploads of bedtime" in out
