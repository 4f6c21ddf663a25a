"""The analytics loop as assets, partitioned by (channel, day): ``daily_metrics`` → ``recommendations`` and
``experiments``. The work happens in ``analytics/loop.py``; these bodies pick the resources and describe the
result for the UI. pandas and scikit-learn are imported inside the bodies, so loading the code location (and
every episode step's process) does not pay for them."""

# No `from __future__ import annotations`: dagster 1.13.27 rejects a string `context` annotation here.

import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from storyvid_assets.analytics.models import DayMetrics, DayRecommendation, ExperimentsReport
from storyvid_assets.analytics.tunables import policy_violations
from storyvid_assets.assets.partitions import episode_partitions_def
from storyvid_assets.channels import get_channel
from storyvid_assets.episode import split_partition_key
from storyvid_assets.resources.metrics import MetricsProvider
from storyvid_assets.resources.platforms import PlatformClient
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.media_store import MediaStore

ANALYTICS_GROUP = "analytics"
LAG_DAYS = 3  # platforms revise (and YouTube withholds) the last days: re-collected by the schedule
MIN_COVERAGE = 0.5  # share of live uploads with figures, once a day is older than the lag


def markdown_rows(records: list[dict[str, Any]], columns: list[str], limit: int = 40) -> str:
    if not records:
        return "No rows."
    head = "| " + " | ".join(columns) + " |\n" + "|---" * len(columns) + "|\n"
    body = "\n".join("| " + " | ".join(_cell(r.get(c)) for c in columns) + " |" for r in records[:limit])
    more = f"\n\n…and {len(records) - limit} more rows." if len(records) > limit else ""
    return head + body + more


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return f"{value:.3g}" if isinstance(value, float) else str(value).replace("|", "/")


def _partition(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> tuple[str, str]:
    return split_partition_key(context.partition_key)


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


DAY_COLUMNS = ["upload_id", "date", "platform", "format", "views", "likes", "comments", "shares", "watch_time_s",
               "completion_rate", "revenue_usd", "source"]


@dg.asset(
    partitions_def=episode_partitions_def(),
    group_name=ANALYTICS_GROUP,
    kinds={"pandas", "sql"},
    io_manager_key="manifest_io_manager",
)
def daily_metrics(
    context: dg.AssetExecutionContext,
    metrics_provider: MetricsProvider,
    catalog: CatalogResource,
    youtube_client: PlatformClient,
    instagram_client: PlatformClient,
    tiktok_client: PlatformClient,
    facebook_client: PlatformClient,
) -> dg.Output[DayMetrics]:
    """That day's views, likes, comments, shares, watch time, completion and revenue of every live upload of
    the channel, stored in the catalog (``analytics_data``); rerunning the day replaces its rows."""
    from storyvid_assets.analytics.loop import CollectEnv, collect_day
    from storyvid_assets.catalog.queries.analytics import metrics_frame

    channel, day = _partition(context)
    get_channel(channel)
    today = _today()  # the partitions end today (dagster refuses later days)
    clients = {c.platform: c for c in (youtube_client, instagram_client, tiktok_client, facebook_client)}
    env = CollectEnv(catalog_url=catalog.url, today=today, log=context.log.info, clients=clients)
    result = collect_day(catalog.url, channel, day, metrics_provider, env)
    for note in result.notes:
        context.log.info(note)
    with catalog.session() as session:
        frame = metrics_frame(session, channel, since=day, until=day)
    records = frame.to_dict("records")
    revised = [f"upload {r.upload_id}: " + ", ".join(f"{k} {a} → {b}" for k, (a, b) in r.changes.items())
               for r in result.revised]
    context.log.info(f"{channel} {day}: {result.stored} of {result.uploads} live uploads stored"
                     + (f", {len(revised)} revised" if revised else ""))
    return dg.Output(result, metadata={
        "day": day,
        "simulated": dg.MetadataValue.bool(result.simulated),
        "label": "SIMULATED audience (not real figures)" if result.simulated else "platform figures",
        "sources": ", ".join(result.sources) or "none",
        "uploads": result.uploads,
        "dagster/row_count": len(records),
        "views": int(frame["views"].sum()) if len(frame) else 0,
        "revised": dg.MetadataValue.md("\n".join(f"- {line}" for line in revised) or "none"),
        "revised_day": dg.MetadataValue.bool(bool(revised)),
        "missing": len(result.missing),
        "notes": dg.MetadataValue.md("\n".join(f"- {n}" for n in result.notes) or "none"),
        "table": dg.MetadataValue.md(markdown_rows(records, DAY_COLUMNS)),
    })


def _check(fn: Callable[..., dg.AssetCheckResult], name: str, asset: Any, description: str) -> dg.AssetChecksDefinition:
    with warnings.catch_warnings():  # checks evaluated per partition are a preview feature in dagster 1.13
        warnings.simplefilter("ignore", category=dg.PreviewWarning)
        return dg.asset_check(asset=asset, name=name, partitions_def=episode_partitions_def(),
                              description=description)(fn)


def negative_counts(records: list[dict[str, Any]]) -> list[str]:
    fields = ("views", "likes", "comments", "shares", "watch_time_s", "revenue_usd")
    return [f"upload {r['upload_id']} {f}={r[f]}" for r in records for f in fields
            if r.get(f) is not None and r[f] == r[f] and r[f] < 0]


def _no_negative_counts(context: dg.AssetCheckExecutionContext, catalog: CatalogResource) -> dg.AssetCheckResult:
    from storyvid_assets.catalog.queries.analytics import metrics_frame

    channel, day = _partition(context)
    with catalog.session() as session:
        bad = negative_counts(metrics_frame(session, channel, since=day, until=day).to_dict("records"))
    return dg.AssetCheckResult(passed=not bad, metadata={"negative": dg.MetadataValue.md(
        "\n".join(f"- {b}" for b in bad[:50]) or "none")})


def _no_duplicate_upload_days(context: dg.AssetCheckExecutionContext, catalog: CatalogResource
                              ) -> dg.AssetCheckResult:
    from storyvid_assets.catalog.queries.analytics import duplicate_upload_days

    channel, _ = _partition(context)
    with catalog.session() as session:
        dups = duplicate_upload_days(session, channel)
    return dg.AssetCheckResult(passed=not dups, metadata={"duplicates": len(dups)})


def coverage_verdict(live: int, stored: int, day: str, today: str, lag_days: int = LAG_DAYS) -> tuple[bool, str]:
    """Fresh enough: inside the platforms' lag anything goes; after it, most live uploads have figures."""
    if live == 0:
        return True, "no live uploads"
    share = stored / live
    age = (datetime.fromisoformat(today) - datetime.fromisoformat(day)).days
    if age <= lag_days:
        return True, f"{stored}/{live} uploads have figures ({age} day(s) old, inside the {lag_days}-day lag)"
    return share >= MIN_COVERAGE, f"{stored}/{live} uploads have figures ({share:.0%}; {age} days old)"


def _metrics_fresh(context: dg.AssetCheckExecutionContext, catalog: CatalogResource) -> dg.AssetCheckResult:
    from storyvid_assets.catalog.queries.analytics import live_uploads, metrics_frame

    channel, day = _partition(context)
    with catalog.session() as session:
        live = len(live_uploads(session, channel, as_of=day))
        stored = int(metrics_frame(session, channel, since=day, until=day)["upload_id"].nunique())
    passed, text = coverage_verdict(live, stored, day, _today())
    return dg.AssetCheckResult(passed=passed, severity=dg.AssetCheckSeverity.WARN, description=text,
                               metadata={"live_uploads": live, "with_figures": stored})


daily_metrics_no_negative_counts = _check(_no_negative_counts, "no_negative_counts", daily_metrics,
                                          "No stored count (views, likes, ...) of the day is negative.")
daily_metrics_no_duplicates = _check(_no_duplicate_upload_days, "no_duplicate_upload_days", daily_metrics,
                                     "Each upload has at most one row per day.")
daily_metrics_fresh = _check(_metrics_fresh, "fresh", daily_metrics,
                             f"Once a day is older than the platforms' {LAG_DAYS}-day lag, at least "
                             f"{MIN_COVERAGE:.0%} of the live uploads have figures for it.")


@dg.asset(
    partitions_def=episode_partitions_def(),
    group_name=ANALYTICS_GROUP,
    kinds={"scikitlearn", "pandas"},
    io_manager_key="manifest_io_manager",
    deps=[daily_metrics],
)
def recommendations(
    context: dg.AssetExecutionContext, catalog: CatalogResource, media_store: MediaStore
) -> dg.Output[DayRecommendation]:
    """Which settings go with better results: a model chosen by cross-validation, ranked changes with
    bootstrap intervals, and — on decision days — the best change allowed by the guard rails, sent for
    review (or applied, with ``auto_apply``)."""
    from storyvid_assets.analytics.loop import recommend_day
    from storyvid_assets.analytics.recommend import markdown_table

    channel_name, day = _partition(context)
    channel = get_channel(channel_name)

    def save_plot(png: bytes) -> str:
        return media_store.put_bytes(f"{channel_name}/analytics/{day}/recommendations.png", png, "image/png").key

    result = recommend_day(catalog.url, channel, day, save_plot=save_plot)
    rec = result.recommendation
    context.log.info(f"{channel_name} {day}: {len(rec.uplifts)} recommendation(s) from {rec.samples} episodes"
                     + (f"; {rec.reason}" if rec.reason else ""))
    if result.change_id:
        context.log.info(f"configuration change {result.change_id} is {result.change_status}")
    metadata: dict[str, Any] = {
        "recommendations": dg.MetadataValue.md(markdown_table(rec)),
        "samples": rec.samples,
        "model": rec.chosen_model or "none",
        "reason": rec.reason or "",
        "simulated": dg.MetadataValue.bool(rec.simulated),
        "decision_day": dg.MetadataValue.bool(result.decision_day),
        "guard_rails": dg.MetadataValue.md("\n".join(
            f"- {d.setting} → {d.proposed}: {'allowed' if d.allowed else 'refused'}"
            + (f" ({'; '.join(d.reasons)})" if d.reasons else "") for d in result.decisions) or "none"),
        "change": f"{result.change_id} ({result.change_status})" if result.change_id else (result.note or "none"),
        "roi": dg.MetadataValue.md(markdown_rows(result.roi, ["date", "revenue_usd", "cost_usd", "roi"])),
    }
    for score in rec.scores:
        metadata[f"cv_r2_{score.model}"] = score.cv_r2
        metadata[f"cv_mae_{score.model}"] = score.cv_mae
    if rec.scores:
        metadata["baseline_mae"] = rec.scores[0].baseline_mae
    if rec.plot_key:
        metadata["plot"] = dg.MetadataValue.path(str(media_store.local_path(rec.plot_key)))
    return dg.Output(result, metadata=metadata)


def _model_score_reported(context: dg.AssetCheckExecutionContext, recommendations: DayRecommendation
                          ) -> dg.AssetCheckResult:
    rec = recommendations.recommendation
    passed = bool(rec.scores) or (bool(rec.reason) and not rec.uplifts)
    return dg.AssetCheckResult(passed=passed, metadata={"scores": len(rec.scores), "reason": rec.reason or ""},
                               description="model scores against the mean baseline are reported" if passed else
                               "recommendations without a cross-validated score")


def _respects_policy(context: dg.AssetCheckExecutionContext, recommendations: DayRecommendation
                     ) -> dg.AssetCheckResult:
    channel_name, _ = _partition(context)
    channel = get_channel(channel_name)
    bad = [f"{d.setting} → {d.applied_value}: {v}" for d in recommendations.decisions if d.allowed
           for v in policy_violations(channel, {d.setting: d.applied_value})]
    return dg.AssetCheckResult(passed=not bad, metadata={"violations": dg.MetadataValue.md(
        "\n".join(f"- {b}" for b in bad) or "none")})


recommendations_score_reported = _check(_model_score_reported, "model_score_reported", recommendations,
                                        "The model's cross-validated score is reported next to the baseline's "
                                        "(or the reason nothing was trained).")
recommendations_respect_policy = _check(_respects_policy, "respects_channel_policy", recommendations,
                                        "No change the guard rails allowed violates the channel's policy.")


@dg.asset(
    partitions_def=episode_partitions_def(),
    group_name=ANALYTICS_GROUP,
    kinds={"scipy"},
    io_manager_key="manifest_io_manager",
    deps=[daily_metrics],
)
def experiments(context: dg.AssetExecutionContext, catalog: CatalogResource) -> dg.Output[ExperimentsReport]:
    """Each running experiment of the channel on that day: episodes and mean per variant, and — once every
    variant has its sample — one test; a winner becomes a guarded configuration change."""
    from storyvid_assets.analytics.loop import experiments_day

    channel_name, day = _partition(context)
    channel = get_channel(channel_name)
    outcomes = experiments_day(catalog.url, channel, day)
    results = [r for r, _ in outcomes]
    changes = {r.name: c for r, c in outcomes if c}
    for result in results:
        context.log.info(f"experiment {result.name}: {result.status} {result.detail}")
    rows = [{"experiment": r.name, "status": r.status, "episodes": ", ".join(f"{k}: {v}" for k, v in r.counts.items()),
             "means": ", ".join(f"{k}: {v:.3g}" for k, v in r.means.items()), "p": r.p_value, "winner": r.winner}
            for r in results]
    return dg.Output(ExperimentsReport(channel=channel_name, day=day, results=results, change_ids=changes), metadata={
        "experiments": dg.MetadataValue.md(markdown_rows(rows, ["experiment", "status", "episodes", "means", "p",
                                                                 "winner"]) if rows else "No experiments defined."),
        "running": sum(1 for r in results if r.status == "running"),
    })
