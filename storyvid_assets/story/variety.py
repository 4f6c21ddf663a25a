"""How varied a run of daily episodes is: distinct titles, and how often each skeleton comes back.

Two skeletons are counted, because a title can hide a repeated plot and a plot can hide behind new titles:

- the *title skeleton*: the title with the characters' names replaced by ``X`` ("X and the Midnight Picnic"),
  the measure issue 17 was filed with;
- the *plot skeleton*: genre, plot template, twist (the climax told) and ending (the resolution told), as in
  ``bedtime/midnight_picnic/twist-1/genre-ending-2``: the story as it unfolds, whatever the names, wording,
  cast looks, wonder, place or time of day.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from storyvid_assets.models import Story, StoryRequest
from storyvid_assets.story.writer import Plan, plan_story, tell


class Told(BaseModel):
    """One episode and the plot skeleton it was told with."""

    model_config = ConfigDict(frozen=True)

    story: Story
    plot_skeleton: str


class VarietyReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    episodes: int
    distinct_titles: int
    title_skeletons: int
    plot_skeletons: int
    most_told_title_skeleton: tuple[str, int]
    most_told_plot_skeleton: tuple[str, int]


def title_skeleton(story: Story) -> str:
    """The title with every character's name (longest first) replaced by ``X``."""
    title = story.title
    for name in sorted((c.name for c in story.characters), key=len, reverse=True):
        title = re.sub(rf"\b{re.escape(name)}\b", "X", title)
    return title


def plot_skeleton(plan: Plan) -> str:
    return f"{plan.genre.genre}/{plan.pick.skeleton}"


def tell_all(requests: Iterable[StoryRequest]) -> list[Told]:
    """Each request's story with its plot skeleton (planned once, as ``generate_story`` does)."""
    told = []
    for request in requests:
        plan = plan_story(request)
        told.append(Told(story=tell(plan, request), plot_skeleton=plot_skeleton(plan)))
    return told


def variety_report(told: list[Told]) -> VarietyReport:
    titles = Counter(t.story.title for t in told)
    title_skeletons = Counter(title_skeleton(t.story) for t in told)
    plot_skeletons = Counter(t.plot_skeleton for t in told)
    return VarietyReport(
        episodes=len(told),
        distinct_titles=len(titles),
        title_skeletons=len(title_skeletons),
        plot_skeletons=len(plot_skeletons),
        most_told_title_skeleton=title_skeletons.most_common(1)[0],
        most_told_plot_skeleton=plot_skeletons.most_common(1)[0],
    )
