"""Moderation gates: blocking checks on the story, narration, scene images and music.

A failed check (severity ERROR) stops the partition's downstream steps in the same run and opens a review
item; downstream assets then refuse to run (``require_cleared``) until a reviewer approves the item or a
rejection has regenerated the asset. A finding a reviewer already approved for the same attempt passes.

No ``from __future__ import annotations`` here: Dagster 1.13 rejects a string-annotated ``context``
(dagster-io/dagster#26837).
"""

import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from storyvid_assets.assets.partitions import episode_partitions_def
from storyvid_assets.catalog.queries.review import automatic_regeneration_count, record_judgement
from storyvid_assets.distribution.licence import music_problems
from storyvid_assets.episode import Episode
from storyvid_assets.models import MusicBed, Narration, SceneImages, Story, count_words
from storyvid_assets.moderation.audio import (
    analyse_wav,
    clipping_findings,
    music_findings,
    music_licence_findings,
    narration_duration_findings,
    silence_findings,
)
from storyvid_assets.moderation.findings import Finding, blocking, findings_markdown, summary
from storyvid_assets.moderation.images import ImageUnderCheck, check_images
from storyvid_assets.moderation.policy import policy_for_channel, story_fields
from storyvid_assets.moderation.version import channel_policy_version
from storyvid_assets.resources.moderation import ImageToModerate, ModerationProvider
from storyvid_assets.resources.storage.catalog import CatalogResource
from storyvid_assets.resources.storage.media_store import MediaStore
from storyvid_assets.review.queue import AutoRegeneration, open_review_item

STORY_TEXT_CHECK = "story_text_policy"
SCENE_IMAGES_CHECK = "scene_images_quality"
NARRATION_AUDIO_CHECK = "narration_audio_quality"
MUSIC_AUDIO_CHECK = "music_audio_and_licence"
MODERATION_CHECKS = {
    "story": STORY_TEXT_CHECK,
    "scene_images": SCENE_IMAGES_CHECK,
    "narration": NARRATION_AUDIO_CHECK,
    "music": MUSIC_AUDIO_CHECK,
}
MAX_FINDINGS_IN_METADATA = 100
SCRIPT_CANNOT_FIX = "the story is the operator's script: regenerating it would give the same text"
NO_CLASSIFIER_CANNOT_FIX = "no image moderation provider is available: regenerating cannot change that"


def episode_gate(asset: str, name: str, **kwargs: Any) -> Callable[[Callable[..., Any]], dg.AssetChecksDefinition]:
    """A blocking check evaluated per episode partition (partitioned checks are a Dagster preview feature)."""

    def decorate(fn: Callable[..., Any]) -> dg.AssetChecksDefinition:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=dg.PreviewWarning)
            return dg.asset_check(
                asset=asset, name=name, blocking=True, partitions_def=episode_partitions_def(), **kwargs
            )(fn)

    return decorate


def gate_result(
    context: dg.AssetCheckExecutionContext,
    catalog: CatalogResource,
    episode: Episode,
    *,
    asset: str,
    check_name: str,
    findings: list[Finding],
    evidence: dict[str, Any],
    metadata: dict[str, Any],
    cannot_fix: str | None = None,
    content_checked: bool | None = None,
) -> dg.AssetCheckResult:
    """Pass, or fail with severity ERROR: the asset regenerates by itself (up to the channel's
    ``moderation.auto_regenerations``) unless ``cannot_fix`` says why that is useless, then a person reviews.

    Every finding is explained in the metadata; the policy version that judged is recorded in the catalog.
    """
    text = summary(findings)
    version = channel_policy_version(episode.channel)
    passed_outright = not blocking(findings)
    with catalog.session() as session:
        record_judgement(
            session,
            {"channel": episode.channel.name, "date": episode.date, "check_name": check_name,
             "attempt": episode.attempt},
            {"asset": asset, "policy_version": version.version, "passed": passed_outright,
             "blocking_findings": len(blocking(findings)), "content_checked": content_checked,
             "run_id": context.run.run_id, "judged_at": datetime.now(UTC)},
        )
    meta: dict[str, Any] = {
        "policy_version": version.version,
        "policy_inputs": dg.MetadataValue.json(version.model_dump(mode="json")),
        "findings": dg.MetadataValue.md(findings_markdown(findings)),
        "findings_json": dg.MetadataValue.json(
            [f.model_dump(mode="json") for f in findings[:MAX_FINDINGS_IN_METADATA]]
        ),
        "blocking_findings": len(blocking(findings)),
        "total_findings": len(findings),
        "attempt": episode.attempt,
        **metadata,
    }
    if passed_outright:
        return dg.AssetCheckResult(passed=True, metadata=meta, description=text)
    limit = episode.channel.moderation.auto_regenerations
    with catalog.session() as session:
        item, prior = open_review_item(
            session,
            channel=episode.channel.name,
            date=episode.date,
            asset=asset,
            check_name=check_name,
            attempt=episode.attempt,
            findings=findings,
            evidence=evidence,
            summary=text,
            run_id=context.run.run_id,
            policy_version=version.version,
            automatic=AutoRegeneration(limit=limit, cannot_fix=cannot_fix),
        )
        item_id, status = item.id, item.status
        automatic_runs = automatic_regeneration_count(session, episode.channel.name, episode.date, asset, check_name)
    meta.update(
        {
            "review_item": item_id,
            "review_status": status,
            "review_command": dg.MetadataValue.text(f"storyvid review show {item_id}"),
            "automatic_regenerations": f"{automatic_runs} of {limit}",
        }
    )
    if status == "rejected" and prior is None:
        context.log.warning(
            f"{check_name} failed for {episode.label} attempt {episode.attempt}: {text}; regenerating {asset} "
            f"automatically ({automatic_runs} of {limit}, review item {item_id})"
        )
        return dg.AssetCheckResult(
            passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata=meta,
            description=f"regenerating automatically ({automatic_runs} of {limit}): {text}",
        )
    if prior is not None and prior.approved:
        context.log.info(f"{check_name}: findings were approved by {prior.approved_by} (review item {item_id})")
        meta["approved_by"] = prior.approved_by or "unknown"
        with catalog.session() as session:
            record_judgement(session, {"channel": episode.channel.name, "date": episode.date,
                                       "check_name": check_name, "attempt": episode.attempt}, {"passed": True})
        return dg.AssetCheckResult(passed=True, metadata=meta, description=f"approved by a reviewer: {text}")
    context.log.warning(
        f"{check_name} failed for {episode.label} attempt {episode.attempt}: {text}; review item {item_id} is {status}"
    )
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR, metadata=meta, description=text)


def _media(key: str, label: str, content_type: str) -> dict[str, str]:
    return {"key": key, "label": label, "content_type": content_type}


@episode_gate("story", STORY_TEXT_CHECK)
def story_text_policy(
    context: dg.AssetCheckExecutionContext,
    story: Story,
    catalog: CatalogResource,
    moderation_provider: ModerationProvider,
) -> dg.AssetCheckResult:
    """Every published piece of the story's text against the channel's policy (preset, regions, names)."""
    episode = Episode.from_context(context, catalog)
    policy = policy_for_channel(episode.channel)
    findings = moderation_provider.moderate(story_fields(story), policy)
    story_md = episode.media_key("story", "story.md")
    return gate_result(
        context,
        catalog,
        episode,
        asset="story",
        check_name=STORY_TEXT_CHECK,
        findings=findings,
        evidence={"media": [_media(story_md, "story text", "text/markdown")], "title": story.title},
        metadata={
            "policy": policy.describe(),
            "provider": moderation_provider.provider_name,
            "words": story.word_count,
        },
        cannot_fix=SCRIPT_CANNOT_FIX if story.provider == "script" else None,
    )


def unchecked_content_finding(note: str) -> Finding:
    """The image gate's own finding when a channel requires image moderation and nothing could look."""
    return Finding(
        category="image_content_unchecked",
        level="severe",
        blocking=True,
        what="no classifier looked at what the pictures show",
        where="all scene images",
        why=f"this channel sets moderation.require_image_moderation: true, so the gate fails closed; {note}",
    )


@episode_gate("scene_images", SCENE_IMAGES_CHECK)
def scene_images_quality(
    context: dg.AssetCheckExecutionContext,
    scene_images: SceneImages,
    catalog: CatalogResource,
    media_store: MediaStore,
    moderation_provider: ModerationProvider,
) -> dg.AssetCheckResult:
    """Each image: right size for every format, not blank, not too dark or bright, no two scenes alike, and
    what it shows judged by the moderation provider's image classifier under the channel's policy."""
    episode = Episode.from_context(context, catalog)
    under_check = [
        ImageUnderCheck(i.scene_index, i.image.key, media_store.read_bytes(i.image.key), i.width, i.height)
        for i in scene_images.images
    ]
    findings, stats = check_images(under_check, episode.channel.formats)
    content = moderation_provider.moderate_images(
        [ImageToModerate(scene_index=i.scene_index, png=u.data, prompt=i.prompt)
         for i, u in zip(scene_images.images, under_check, strict=True)],
        policy_for_channel(episode.channel),
    )
    findings += content.findings
    required = episode.channel.moderation.require_image_moderation
    if not content.checked:
        context.log.warning(f"{episode.label}: {content.note}")
        if required:
            findings.append(unchecked_content_finding(content.note))
    table = "| scene | size | mean | spread | pHash |\n|---|---|---|---|---|\n" + "\n".join(
        f"| {i + 1} | {s.width}x{s.height} | {s.mean:.3f} | {s.std:.3f} | {s.phash:016x} |"
        for i, s in sorted(stats.items())
    )
    only_unchecked = all(f.category == "image_content_unchecked" for f in blocking(findings))
    return gate_result(
        context,
        catalog,
        episode,
        asset="scene_images",
        check_name=SCENE_IMAGES_CHECK,
        findings=findings,
        evidence={
            "media": [_media(i.image.key, f"scene {i.scene_index + 1} image", "image/png") for i in scene_images.images]
        },
        metadata={
            "images": dg.MetadataValue.md(table),
            "image_content": dg.MetadataValue.text(
                f"checked by {content.provider}: {content.note}" if content.checked else content.note
            ),
            "image_moderation_required": required,
        },
        cannot_fix=NO_CLASSIFIER_CANNOT_FIX if only_unchecked else None,
        content_checked=content.checked,
    )


@episode_gate("narration", NARRATION_AUDIO_CHECK, additional_ins={"story": dg.AssetIn("story")})
def narration_audio_quality(
    context: dg.AssetCheckExecutionContext,
    narration: Narration,
    story: Story,
    catalog: CatalogResource,
    media_store: MediaStore,
) -> dg.AssetCheckResult:
    """Silence gaps, clipping, and a duration consistent with the text and the voice's speaking rate."""
    episode = Episode.from_context(context, catalog)
    analysis = analyse_wav(media_store.read_bytes(narration.audio.key))
    words = narration.words
    findings = [
        *silence_findings(analysis),
        *clipping_findings(analysis, "narration"),
        *narration_duration_findings(
            analysis,
            narration.duration,
            count_words(story.text),
            len(words),
            episode.channel.narrator.rate,
            max((w.end for w in words), default=0.0),
        ),
    ]
    longest_gap = max((e - s for s, e in analysis.silences), default=0.0)
    return gate_result(
        context,
        catalog,
        episode,
        asset="narration",
        check_name=NARRATION_AUDIO_CHECK,
        findings=findings,
        evidence={
            "media": [
                _media(narration.audio.key, "narration audio", "audio/wav"),
                _media(narration.vtt.key, "captions (WebVTT)", "text/vtt"),
            ]
        },
        metadata={
            "duration_s": round(analysis.duration, 3),
            "peak_dbfs": round(analysis.peak_dbfs, 2),
            "longest_silence_s": round(longest_gap, 3),
            "clipped_samples": analysis.clipped_samples,
        },
    )


@episode_gate("music", MUSIC_AUDIO_CHECK, additional_ins={"narration": dg.AssetIn("narration")})
def music_audio_and_licence(
    context: dg.AssetCheckExecutionContext,
    music: MusicBed,
    narration: Narration,
    catalog: CatalogResource,
    media_store: MediaStore,
) -> dg.AssetCheckResult:
    """Clipping, length against the narration, and the licence evidence the catalog keeps beside the file."""
    analysis = analyse_wav(media_store.read_bytes(music.audio.key))
    findings = music_findings(analysis, music.duration, music.peak_dbfs, narration.duration)
    with catalog.session() as session:
        findings += music_licence_findings(music_problems(session, music, datetime.now(UTC)))
    return gate_result(
        context,
        catalog,
        Episode.from_context(context, catalog),
        asset="music",
        check_name=MUSIC_AUDIO_CHECK,
        findings=findings,
        evidence={"media": [_media(music.audio.key, "music", "audio/wav")]},
        metadata={
            "duration_s": round(analysis.duration, 3),
            "peak_dbfs": round(analysis.peak_dbfs, 2),
            "licence": dg.MetadataValue.json(music.licence.model_dump(mode="json")),
        },
    )
