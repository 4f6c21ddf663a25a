"""CSV import: YouTube Studio exports and the StoryVid layout, matched by header name, with errors that say where."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from storyvid_assets.analytics.csv_import import MetricsCsvError, read_metrics_csv

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "analytics"
SAMPLE_STUDIO = EXAMPLES / "youtube_studio_chart_data.csv"
STUDIO = EXAMPLES / "youtube_studio_chart_data.csv"
GENERIC = EXAMPLES / "storyvid_metrics.csv"
STUDIO_HEADER = ["Date", "Content", "Video title", "Video publish time", "Duration", "Views", "Likes"]


def write(path: Path, rows: list[list[object]], *, bom: bool = False) -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8-sig" if bom else "utf-8")
    return path


def table(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_studio_sample(tmp_path: Path) -> None:
    assert STUDIO.read_bytes().startswith(b"\xef\xbb\xbf")  # the sample keeps Studio's byte-order mark
    result = read_metrics_csv(STUDIO)
    assert result.layout == "youtube_studio"
    assert len(result.rows) == 15 and result.skipped == 1
    assert {r.post_id for r in result.rows} == {"k3Vb9QmT1xA", "Pq7nR2sWd0E", "Zf4uH8cLm6Y"}
    assert {r.day for r in result.rows} == {f"2026-09-0{d}" for d in range(1, 6)}
    assert all(r.platform == "youtube" for r in result.rows)
    row = next(r for r in result.rows if r.post_id == "Pq7nR2sWd0E" and r.day == "2026-09-01")
    values = row.values
    assert values.views == 298  # Engaged views, not Views
    assert values.extra["Views"] == 308
    assert (values.likes, values.comments, values.shares) == (11, 1, 2)
    assert values.watch_time_s == pytest.approx(8.47 * 3600)
    assert values.avg_view_pct == pytest.approx(46.70)
    assert values.completion_rate == pytest.approx(0.467)
    assert values.revenue_usd == pytest.approx(0.665)
    assert values.extra["Impressions"] == 3931 and values.extra["Average view duration"] == 99
    assert any("Engaged views" in note for note in result.notes)
    assert any("Total" in note for note in result.notes)


def test_generic_sample() -> None:
    result = read_metrics_csv(GENERIC)
    assert result.layout == "storyvid" and result.skipped == 0
    assert {r.platform for r in result.rows} == {"youtube", "instagram", "tiktok", "facebook", "local"}
    tiktok = next(r for r in result.rows if r.platform == "tiktok" and r.day == "2026-09-01").values
    assert tiktok.views == 2310 and tiktok.watch_time_s == 0.0
    assert tiktok.avg_view_pct is None and tiktok.completion_rate is None and tiktok.revenue_usd is None
    instagram = next(r for r in result.rows if r.platform == "instagram" and r.day == "2026-09-01").values
    assert instagram.extra == {"saved": 14} and instagram.completion_rate == 0.31
    with pytest.raises(MetricsCsvError, match="'youtube' but the import is for 'tiktok'"):
        read_metrics_csv(GENERIC, platform="tiktok")


def test_same_layouts_without_bom_and_in_any_column_order(tmp_path: Path) -> None:
    for source in (STUDIO, GENERIC):
        rows = table(source)
        order = list(range(len(rows[0])))
        random.Random(4).shuffle(order)
        shuffled = write(tmp_path / source.name, [[r[i] for i in order] for r in rows])
        assert not shuffled.read_bytes().startswith(b"\xef\xbb\xbf")
        assert read_metrics_csv(shuffled) == read_metrics_csv(source)


def test_total_rows_skipped_wherever_they_are(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", [STUDIO_HEADER, ["2026-09-01", "abc", "t", "", "60", "10", "1"],
                                      ["2026-09-01", "TOTAL", "", "", "", "10", "1"], []], bom=True)
    result = read_metrics_csv(path)
    assert [r.post_id for r in result.rows] == ["abc"] and result.skipped == 2


def test_views_only_studio_file_and_other_spellings(tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", [
        [" date ", "Content", "Views", "Average percentage viewed (%)", "Estimated revenue (USD)", "Country"],
        ["Sep 1, 2026", "abc", "1,234", "112.5", "0.5", "GB"],
    ])
    result = read_metrics_csv(path, platform="youtube")
    values = result.rows[0].values
    assert result.rows[0].day == "2026-09-01"
    assert values.views == 1234 and values.revenue_usd == 0.5
    assert values.avg_view_pct == 112.5 and values.completion_rate == 1.0
    assert values.extra == {} and any("Country" in note for note in result.notes)
    assert result.notes[0] == "views from 'Views'"


def test_unknown_numeric_column_goes_to_extra(tmp_path: Path) -> None:
    path = write(tmp_path / "g.csv", [["platform", "post_id", "day", "views", "reposts", "skip_rate"],
                                      ["instagram", "m1", "2026-09-01", "40", "3", "12.5%"]])
    assert read_metrics_csv(path).rows[0].values.extra == {"reposts": 3, "skip_rate": 12.5}


@pytest.mark.parametrize(
    ("row", "column", "value", "problem"),
    [
        (3, "Likes", "lots", "is not a number"),
        (4, "Engaged views", "12.5", "is not a whole number"),
        (5, "Shares", "-2", "out of range"),
        (6, "Date", "2026-13-01", "is not a date"),
        (7, "Content", "", "is empty"),
    ],
)
def test_bad_studio_value_names_row_and_column(tmp_path: Path, row: int, column: str, value: str,
                                               problem: str) -> None:
    rows = table(STUDIO)
    rows[row - 1][rows[0].index(column)] = value
    with pytest.raises(MetricsCsvError) as err:
        read_metrics_csv(write(tmp_path / "bad.csv", rows, bom=True))
    assert (err.value.row, err.value.column) == (row, column)
    assert f"row {row}, column '{column}'" in str(err.value) and problem in str(err.value)


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [("day", "09/01/2026", "is not a date"), ("completion_rate", "1.4", "out of range"),
     ("platform", "myspace", "is not a platform"), ("views", "", "is empty"), ("post_id", "", "is empty")],
)
def test_bad_generic_value_names_row_and_column(tmp_path: Path, column: str, value: str, problem: str) -> None:
    rows = table(GENERIC)
    rows[3][rows[0].index(column)] = value
    with pytest.raises(MetricsCsvError) as err:
        read_metrics_csv(write(tmp_path / "bad.csv", rows))
    assert (err.value.row, err.value.column) == (4, column) and problem in str(err.value)


def test_same_post_and_day_twice_is_an_error(tmp_path: Path) -> None:
    rows = table(GENERIC)
    with pytest.raises(MetricsCsvError, match=r"row 11: .*first in row 2"):
        read_metrics_csv(write(tmp_path / "dup.csv", [*rows, rows[1]]))


def test_unknown_layout_names_missing_columns_and_both_layouts(tmp_path: Path) -> None:
    path = write(tmp_path / "x.csv", [["Date", "Video", "Views"], ["2026-09-01", "abc", "3"]])
    with pytest.raises(MetricsCsvError) as err:
        read_metrics_csv(path)
    message = str(err.value)
    assert "lacks Content" in message and "lacks platform, post_id, day" in message
    assert "Chart data.csv" in err.value.fix and "platform,post_id,day,views" in err.value.fix
    with pytest.raises(MetricsCsvError, match="Engaged views or Views"):
        read_metrics_csv(write(tmp_path / "y.csv", [["Date", "Content", "Likes"], ["2026-09-01", "abc", "3"]]))
    with pytest.raises(MetricsCsvError, match="no header row"):
        read_metrics_csv(write(tmp_path / "empty.csv", []))


# --------------------------------------------------------------------------- the CSV path and the API path agree


def test_the_studio_sample_stores_the_same_table_as_the_youtube_analytics_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented Studio sample imported with ``storyvid analytics import`` and the same figures read from
    (a loopback) YouTube Analytics through ``daily_metrics``' collector give the same daily table."""
    from storyvid_assets.analytics.loop import CollectEnv, collect_day
    from storyvid_assets.catalog.db import migrate, session_scope
    from storyvid_assets.catalog.queries.analytics import metrics_frame
    from storyvid_assets.catalog.queries.uploads import record_post
    from storyvid_assets.cli import main
    from storyvid_assets.models import PlatformPost
    from storyvid_assets.resources.metrics.platforms import PlatformMetrics
    from storyvid_assets.settings import reset_settings
    from storyvid_tests.distribution.conftest import FakeClock, client_for
    from storyvid_tests.fakes.youtube import FakeYouTube

    rows = [r for r in csv.DictReader(SAMPLE_STUDIO.read_text(encoding="utf-8-sig").splitlines())
            if r["Content"] != "Total"]
    videos = sorted({r["Content"] for r in rows})
    days = sorted({r["Date"] for r in rows})

    def catalog(name: str) -> str:
        url = f"sqlite:///{tmp_path / name}"
        migrate(url)
        with session_scope(url) as session:
            for video in videos:
                post = PlatformPost(platform="youtube", format="16:9", post_id=video, url="", status="published")
                record_post(session, "bedtime", f"2026-08-{videos.index(video) + 28}", video, post)
        return url

    via_csv = catalog("csv.db")
    monkeypatch.setenv("STORYVID_CATALOG_URL", via_csv)
    reset_settings()
    assert main(["analytics", "import", str(SAMPLE_STUDIO), "--channel", "bedtime"]) == 0
    monkeypatch.delenv("STORYVID_CATALOG_URL")
    reset_settings()

    via_api = catalog("api.db")
    clock = FakeClock()
    with FakeYouTube(now=clock.now) as fake:
        for r in rows:
            fake.set_daily(r["Content"], r["Date"], engagedViews=float(r["Engaged views"]), views=float(r["Views"]),
                           likes=float(r["Likes"]), comments=float(r["Comments added"]), shares=float(r["Shares"]),
                           estimatedMinutesWatched=float(r["Watch time (hours)"]) * 60,
                           averageViewPercentage=float(r["Average percentage viewed (%)"]),
                           estimatedRevenue=float(r["Your estimated revenue (USD)"]))
        youtube = client_for("youtube", fake, analytics_base_url=fake.origin + "/")
        env = CollectEnv(catalog_url=via_api, today=days[-1], clients={"youtube": youtube})
        for day in days:
            result = collect_day(via_api, "bedtime", day, PlatformMetrics(), env)
            assert result.stored == len(videos), result.notes

    columns = ["platform", "day", "views", "likes", "comments", "shares", "watch_time_s", "avg_view_pct",
               "completion_rate", "revenue_usd"]

    def table(url: str) -> list[tuple[object, ...]]:
        with session_scope(url) as session:
            frame = metrics_frame(session, "bedtime")
        return [tuple(round(v, 6) if isinstance(v, float) else v for v in row)
                for row in frame.sort_values(["day", "upload_id"])[columns].itertuples(index=False)]

    csv_table, api_table = table(via_csv), table(via_api)
    assert len(csv_table) == len(videos) * len(days)
    exact = [columns.index(c) for c in columns if c not in ("watch_time_s", "revenue_usd")]
    assert [[r[i] for i in exact] for r in csv_table] == [[r[i] for i in exact] for r in api_table]
    watch, revenue = columns.index("watch_time_s"), columns.index("revenue_usd")
    for from_csv, from_api in zip(csv_table, api_table, strict=True):  # the API reports whole minutes and cents
        assert from_csv[watch] == pytest.approx(from_api[watch], abs=60)
        assert from_csv[revenue] == pytest.approx(from_api[revenue], abs=0.01)
