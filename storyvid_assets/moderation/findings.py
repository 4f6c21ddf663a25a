"""A finding: one thing a moderation check saw, with what it is, where it is and why it matters."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Level = Literal["mild", "severe"]
LEVEL_RANK: dict[str, int] = {"mild": 1, "severe": 2, "off": 99}


class Finding(BaseModel):
    """One observation of a check. ``blocking`` findings fail the check and open a review item."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: str  # e.g. profanity, personal_data, image_blank, narration_silence, music_licence
    level: Level
    blocking: bool
    what: str  # short description of what was found
    where: str  # human-readable location: "scene 3 narration, characters 120-127", "narration 12.30-15.80 s"
    why: str  # the rule that makes it a problem
    field: str | None = None  # e.g. "scenes[2].narration", "title"
    scene_index: int | None = None
    start: int | None = None  # character offsets inside ``field``
    end: int | None = None
    time_s: float | None = None  # audio position in seconds
    end_time_s: float | None = None
    matched: str | None = None  # the text as it appears
    term: str | None = None  # the list entry or rule it matched
    source: str | None = None  # which list or provider found it
    score: float | None = None  # provider score, or the measured value of a media rule
    excerpt: str | None = None


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocking]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def findings_markdown(findings: list[Finding], limit: int = 40) -> str:
    """A table a reviewer reads in the Dagster UI: blocking first, then the rest."""
    if not findings:
        return "No findings."
    ordered = sorted(findings, key=lambda f: (not f.blocking, f.scene_index or 0, f.start or 0, f.time_s or 0.0))
    rows = [
        f"| {'BLOCK' if f.blocking else 'note'} | {_cell(f.category)} ({f.level}) | {_cell(f.what)} | "
        f"{_cell(f.where)} | {_cell(f.why)} |"
        for f in ordered[:limit]
    ]
    more = f"\n\n…and {len(ordered) - limit} more (see findings_json)." if len(ordered) > limit else ""
    return "| gate | category | what | where | why |\n|---|---|---|---|---|\n" + "\n".join(rows) + more


def summary(findings: list[Finding]) -> str:
    """One line: how many findings, how many block, in which categories."""
    blocked = blocking(findings)
    cats = sorted({f.category for f in blocked})
    if not blocked:
        return f"{len(findings)} finding(s), none blocking"
    return f"{len(blocked)} blocking finding(s) in {', '.join(cats)} ({len(findings)} in total)"
