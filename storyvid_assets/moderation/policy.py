"""The text policy: which words, phrases, personal data and names a channel's stories may not contain.

A policy is built from the data files (``data/*.yaml``), the preset (``standard``, or ``strict`` for kids'
channels) and the channel's ``moderation:`` settings (regions, real-person names, extra and allowed terms).
Scanning returns every :class:`Finding`; the preset decides which of them block publication.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from storyvid_assets.channels import ChannelConfig, ModerationSettings
from storyvid_assets.models import Story
from storyvid_assets.moderation.findings import LEVEL_RANK, Finding
from storyvid_assets.moderation.matching import TermIndex, TermMatch, compile_term, prepare
from storyvid_assets.moderation.version import effective_preset, policy_version
from storyvid_assets.moderation.wordlists import (
    NAME_CATEGORY,
    PATTERN_CATEGORY,
    TERM_CATEGORIES,
    CategoryList,
    Preset,
    ProviderThresholds,
    TermGroup,
    category_list,
    personal_data_patterns,
    presets,
)

TextField = tuple[str, int | None, str]  # (field, scene index, text)
EXCERPT_CHARS = 30
CATEGORY_LABELS = {
    PATTERN_CATEGORY: "Personal data",
    NAME_CATEGORY: "Real person's name",
}


@dataclass(frozen=True)
class PatternCheck:
    name: str
    regex: re.Pattern[str]
    luhn: bool
    source: str


@dataclass(frozen=True)
class TextPolicy:
    """A compiled policy. Build it with :func:`policy_for_channel` (cached per settings)."""

    preset_name: str
    preset: Preset
    regions: tuple[str, ...]
    indexes: dict[str, TermIndex]  # category -> compiled terms
    patterns: tuple[PatternCheck, ...]
    names: TermIndex | None
    thresholds: ProviderThresholds
    version: str  # see moderation/version.py: what judged an episode

    def blocks(self, category: str, level: str) -> bool:
        threshold = self.preset.block.get(category, "severe")
        return threshold != "off" and LEVEL_RANK[level] >= LEVEL_RANK[threshold]

    @property
    def provider_thresholds(self) -> ProviderThresholds:
        """The channel's classifier thresholds, else the preset's."""
        return self.thresholds

    def describe(self) -> str:
        return f"{self.preset_name} preset, regions {', '.join(self.regions) or 'none'}, policy {self.version}"


def _groups(data: CategoryList, regions: tuple[str, ...]) -> list[tuple[str, TermGroup, str]]:
    groups = [("severe", data.severe, f"{data.category}.yaml"), ("mild", data.mild, f"{data.category}.yaml")]
    for region in regions:
        extra = data.regions.get(region)
        if extra:
            source = f"{data.category}.yaml (region {region})"
            groups += [("severe", extra.severe, source), ("mild", extra.mild, source)]
    return groups


def _category_index(
    category: str, regions: tuple[str, ...], extra: tuple[str, ...], allow: tuple[str, ...]
) -> TermIndex:
    data = category_list(category)
    terms = []
    for level, group, source in _groups(data, regions):
        terms += [compile_term(w, category, level, source) for w in group.words]
        terms += [compile_term(w, category, level, source, fragment=True) for w in group.fragments]
    terms += [compile_term(w, category, "severe", "channel moderation.extra_terms") for w in extra]
    return TermIndex(terms, allow=[*data.allow, *allow])


@cache
def _compiled(
    preset_name: str,
    regions: tuple[str, ...],
    names: tuple[str, ...],
    extra_terms: tuple[tuple[str, tuple[str, ...]], ...],
    allow: tuple[str, ...],
    thresholds: tuple[float, float] | None,
    version: str,
) -> TextPolicy:
    extra = dict(extra_terms)
    indexes = {c: _category_index(c, regions, extra.get(c, ()), allow) for c in TERM_CATEGORIES}
    pattern_data = personal_data_patterns()
    rules = [(r, "personal_data.yaml") for r in pattern_data.global_]
    for region in regions:
        rules += [(r, f"personal_data.yaml (region {region})") for r in pattern_data.regions.get(region, [])]
    patterns = tuple(PatternCheck(r.name, re.compile(r.pattern), r.luhn, source) for r, source in rules)
    name_index = (
        TermIndex(
            [
                compile_term(n, NAME_CATEGORY, "severe", "channel moderation.real_person_names", inflect=False)
                for n in names
            ]
        )
        if names
        else None
    )
    return TextPolicy(
        preset_name=preset_name,
        preset=presets()[preset_name],
        regions=regions,
        indexes=indexes,
        patterns=patterns,
        names=name_index,
        thresholds=(
            ProviderThresholds(mild=thresholds[0], severe=thresholds[1])
            if thresholds
            else presets()[preset_name].provider_thresholds
        ),
        version=version,
    )


def build_policy(settings: ModerationSettings, audience: str) -> TextPolicy:
    override = settings.provider_thresholds
    return _compiled(
        effective_preset(settings, audience),
        tuple(settings.regions),
        tuple(settings.real_person_names),
        tuple(sorted((k, tuple(v)) for k, v in settings.extra_terms.items())),
        tuple(settings.allow_terms),
        (override.mild, override.severe) if override else None,
        policy_version(settings, audience).version,
    )


def policy_for_channel(channel: ChannelConfig) -> TextPolicy:
    return build_policy(channel.moderation, channel.audience)


def luhn_valid(digits: str) -> bool:
    nums = [int(c) for c in digits if c.isdigit()]
    if len(nums) < 13:
        return False
    total = 0
    for i, n in enumerate(reversed(nums)):
        if i % 2 == 1:
            n = n * 2 - 9 if n * 2 > 9 else n * 2
        total += n
    return total % 10 == 0


def excerpt(text: str, start: int, end: int) -> str:
    lo, hi = max(0, start - EXCERPT_CHARS), min(len(text), end + EXCERPT_CHARS)
    return ("…" if lo else "") + text[lo:hi].replace("\n", " ") + ("…" if hi < len(text) else "")


def field_label(field: str) -> str:
    """``scenes[2].narration`` -> ``scene 3 narration``; ``characters[0].name`` -> ``character 1 name``."""
    m = re.fullmatch(r"(scenes|characters)\[(\d+)\]\.(\w+)", field)
    if not m:
        return field
    kind = "scene" if m.group(1) == "scenes" else "character"
    return f"{kind} {int(m.group(2)) + 1} {m.group(3).replace('_', ' ')}"


def _why(policy: TextPolicy, category: str, level: str, label: str) -> str:
    threshold = policy.preset.block.get(category, "severe")
    if policy.blocks(category, level):
        return f"{label} at level {level} is blocked by the {policy.preset_name} preset"
    if threshold == "off":
        return f"{label} is allowed by the {policy.preset_name} preset (reported only)"
    return f"{label} at level {level} is allowed by the {policy.preset_name} preset (it blocks from {threshold})"


def _term_finding(policy: TextPolicy, text: str, field: str, scene: int | None, match: TermMatch) -> Finding:
    term = match.term
    label = category_list(term.category).label if term.category in TERM_CATEGORIES else CATEGORY_LABELS[term.category]
    reading = "" if match.how == "word" else f' (read as "{term.text}": {match.how})'
    return Finding(
        category=term.category,
        level=term.level,
        blocking=policy.blocks(term.category, term.level),
        what=f'{label.lower()} "{match.matched}"{reading}',
        where=f"{field_label(field)}, characters {match.start}-{match.end}",
        why=_why(policy, term.category, term.level, label) + f"; listed in {term.source}",
        field=field,
        scene_index=scene,
        start=match.start,
        end=match.end,
        matched=match.matched,
        term=term.text,
        source=term.source,
        excerpt=excerpt(text, match.start, match.end),
    )


def _drop_overlaps(matches: list[TermMatch]) -> list[TermMatch]:
    """Within one category keep the widest match of overlapping ones ("bloody hell" over "hell")."""
    ordered = sorted(matches, key=lambda m: (-(m.end - m.start), -LEVEL_RANK[m.term.level], m.start))
    kept: list[TermMatch] = []
    for m in ordered:
        if not any(
            k.start <= m.start and m.end <= k.end and LEVEL_RANK[k.term.level] >= LEVEL_RANK[m.term.level] for k in kept
        ):
            kept.append(m)
    return sorted(kept, key=lambda m: m.start)


def scan_text(text: str, policy: TextPolicy, field: str = "text", scene_index: int | None = None) -> list[Finding]:
    """Every finding in one piece of text: listed terms, personal data and configured names."""
    findings: list[Finding] = []
    prepared = prepare(text)
    for index in policy.indexes.values():
        for match in _drop_overlaps(index.search(prepared)):
            findings.append(_term_finding(policy, text, field, scene_index, match))
    if policy.names:
        for match in policy.names.search(prepared):
            findings.append(_term_finding(policy, text, field, scene_index, match))
    findings += _personal_data(text, policy, field, scene_index)
    return findings


def _personal_data(text: str, policy: TextPolicy, field: str, scene_index: int | None) -> list[Finding]:
    """Pattern matches; where formats overlap (a US and a UK address rule) the longest match is kept."""
    hits: list[tuple[re.Match[str], PatternCheck]] = []
    for rule in policy.patterns:
        for m in rule.regex.finditer(text):
            if not (rule.luhn and not luhn_valid(m.group(0))):
                hits.append((m, rule))
    kept: list[tuple[re.Match[str], PatternCheck]] = []
    for m, rule in sorted(hits, key=lambda h: (-(h[0].end() - h[0].start()), h[0].start())):
        if not any(k.start() < m.end() and m.start() < k.end() for k, _ in kept):
            kept.append((m, rule))
    findings: list[Finding] = []
    for m, rule in sorted(kept, key=lambda h: h[0].start()):
        findings.append(
            Finding(
                category=PATTERN_CATEGORY,
                level="severe",
                blocking=policy.blocks(PATTERN_CATEGORY, "severe"),
                what=f'{rule.name} "{m.group(0)}"',
                where=f"{field_label(field)}, characters {m.start()}-{m.end()}",
                why=_why(policy, PATTERN_CATEGORY, "severe", "Personal data") + f"; pattern in {rule.source}",
                field=field,
                scene_index=scene_index,
                start=m.start(),
                end=m.end(),
                matched=m.group(0),
                term=rule.name,
                source=rule.source,
                excerpt=excerpt(text, m.start(), m.end()),
            )
        )
    return findings


def story_fields(story: Story) -> list[TextField]:
    """Every published piece of a story's text: (field, scene index, text)."""
    fields: list[TextField] = [
        ("title", None, story.title),
        ("logline", None, story.logline),
        ("setting", None, story.setting),
    ]
    for i, character in enumerate(story.characters):
        fields += [
            (f"characters[{i}].name", None, character.name),
            (f"characters[{i}].description", None, character.description),
        ]
    for scene in story.scenes:
        fields += [
            (f"scenes[{scene.index}].narration", scene.index, scene.narration),
            (f"scenes[{scene.index}].image_prompt", scene.index, scene.image_prompt),
        ]
    return fields


def scan_fields(texts: list[TextField], policy: TextPolicy) -> list[Finding]:
    """Findings in each (field, scene index, text), in order: the local policy over e.g. ``story_fields``."""
    findings: list[Finding] = []
    for field, scene_index, text in texts:
        findings += scan_text(text, policy, field, scene_index)
    return findings
