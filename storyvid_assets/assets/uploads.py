"""Uploads: every rendered format to the social platforms the channel lists, at most once each.

YouTube gets 16:9 as a video and 9:16 as a Short, Instagram 9:16 as a Reel (1:1 as a feed post when
configured), TikTok 9:16, Facebook 16:9 (9:16 as a Reel when configured): see ``distribution:`` in the
channel file. Each upload is its own state machine in the catalog (``platform_uploads``), so a failure on
one platform leaves the others alone, and a rerun resumes where the last one stopped.
"""

# No `from __future__ import annotations`: dagster 1.13.27 rejects a string `context` annotation here.

from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg

from storyvid_assets.assets.partitions import ASSET_GROUP, episode_partitions_def
from storyvid_assets.assets.review_gate import require_cleared
from storyvid_assets.distribution.licence import licence_findings
from storyvid_assets.distribution.plan import plan_uploads
from storyvid_assets.distribution.publish import PublishEnv, publish_target
from storyvid_assets.distribution.state import open_alert_for_episode
from storyvid_assets.episode import Episode
from storyvid_assets.models import (
    EpisodeThumbnails,
    EpisodeVideos,
    MusicBed,
    Narration,
    PlatformMetadata,
    Publication,
    UploadOutcome,
    Uploads,
)
from storyvid_assets.resources.platforms import PlatformClient
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.media_store import MediaStore

LIVE_RUN_STATUSES = {"QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING"}


def run_alive(instance: dg.DagsterInstance) -> Callable[[str], bool]:
    """Whether the run holding an upload's lease is still going (a crashed run's lease is taken over)."""

    def alive(run_id: str) -> bool:
        run = instance.get_run_by_id(run_id)
        return run is not None and run.status.value in LIVE_RUN_STATUSES

    return alive


def licence_gate(catalog: CatalogResource, episode: Episode, music: MusicBed, log: Callable[[str], None]) -> None:
    """Refuse to upload anything when the music (or a licensed image) lacks valid licence evidence."""
    with catalog.session() as session:
        findings = licence_findings(session, episode.channel.name, episode.date, music, datetime.now(UTC))
    if not findings:
        return
    alert = open_alert_for_episode(
        catalog.url, episode.channel.name, episode.date, "licence gate: " + "; ".join(findings)
    )
    log(f"ADMIN ALERT {alert}: nothing uploaded for {episode.channel.name}|{episode.date}: {'; '.join(findings)}")
    raise dg.Failure(
        description="Licence evidence gate: nothing was uploaded. " + " ".join(f"- {f}" for f in findings),
        metadata={"findings": dg.MetadataValue.json(findings), "alert": alert},
        allow_retries=False,
    )


def outcomes_table(outcomes: list[UploadOutcome]) -> str:
    rows = []
    for o in outcomes:
        post = f"[{o.post_id}]({o.url})" if o.url and o.post_id else (o.post_id or "")
        when = o.deferred_until.isoformat() if o.deferred_until else ""
        note = (o.error or "").replace("|", "/").replace("\n", " ")[:160]
        rows.append(
            f"| {o.platform} | {o.format} | {o.kind} | {o.status} | {post} | {o.attempts} | {o.retries} | "
            f"{when} | {note} |"
        )
    head = "| platform | format | kind | status | post | attempts | retries | resumes | note |\n" + "|---" * 9 + "|\n"
    return head + "\n".join(rows) if rows else "No social platforms configured for this channel."


@dg.asset(
    partitions_def=episode_partitions_def(),
    group_name=ASSET_GROUP,
    kinds={"video", "api"},
    io_manager_key="manifest_io_manager",
)
def uploads(
    context: dg.AssetExecutionContext,
    publication: Publication,
    platform_metadata: PlatformMetadata,
    videos: EpisodeVideos,
    thumbnail: EpisodeThumbnails,
    music: MusicBed,
    narration: Narration,
    catalog: CatalogResource,
    media_store: MediaStore,
    youtube_client: PlatformClient,
    instagram_client: PlatformClient,
    tiktok_client: PlatformClient,
    facebook_client: PlatformClient,
) -> dg.Output[Uploads]:
    """Each format on each platform of the channel: post id, URL, status and attempts (also in the catalog)."""
    episode = Episode.from_context(context, catalog)
    require_cleared(catalog, episode)
    licence_gate(catalog, episode, music, context.log.error)
    clients = {c.platform: c for c in (youtube_client, instagram_client, tiktok_client, facebook_client)}
    plans = plan_uploads(
        episode.channel,
        episode.date,
        videos,
        platform_metadata,
        thumbnail,
        kinds={name: dict(client.format_kinds) for name, client in clients.items()},
        local_path=lambda key: str(media_store.local_path(key)),
        captions_path=str(media_store.local_path(narration.srt.key)),
        now=datetime.now(UTC),
    )
    env = PublishEnv(
        catalog_url=catalog.url,
        run_id=context.run.run_id,
        is_run_alive=run_alive(context.instance),
        log=context.log.info,
        alert=context.log.error,
    )
    outcomes: list[UploadOutcome] = []
    for plan in plans:
        if plan.item is None or plan.options is None:
            outcomes.append(
                UploadOutcome(
                    platform=plan.platform,
                    format=plan.format,
                    kind=plan.kind or "video",  # type: ignore[arg-type]
                    status="skipped",
                    error=plan.problem,
                )
            )
            context.log.warning(f"{plan.platform} {plan.format}: {plan.problem}")
            continue
        outcome = publish_target(env, clients[plan.platform], plan.item, plan.options)
        detail = (f" {outcome.url}" if outcome.url else "") + (f" ({outcome.error})" if outcome.error else "")
        context.log.info(f"{plan.platform} {plan.format}: {outcome.status}{detail}")
        outcomes.append(outcome)
    result = Uploads(outcomes=outcomes)
    return dg.Output(
        result,
        metadata={
            "uploads": dg.MetadataValue.md(outcomes_table(outcomes)),
            "posted": sum(1 for o in outcomes if o.status in ("published", "processing", "scheduled")),
            "deferred": result.count("deferred"),
            "failed": result.count("failed"),
            "skipped": result.count("skipped"),
            "local_posts": len(publication.posts),
        },
    )
