"""Guard rails between a proposed change (a recommendation or an experiment's winner) and a new configuration
version: enough samples, an interval that excludes zero, a real improvement, the channel's policy, and a cap on
how far one step may move a numeric setting. Every refusal is a sentence an operator can act on."""

from __future__ import annotations

from typing import Any

from storyvid_assets.analytics.models import NUMERIC_TUNABLES, GuardDecision, TunableSettings, Uplift
from storyvid_assets.analytics.tunables import DEFAULT_TARGET_WORDS, policy_violations
from storyvid_assets.channels import ChannelConfig, valid_value

TARGET_LABELS = {"completion_rate": "completion rate", "views_per_day": "views per day"}


def label(setting: str) -> str:
    return setting.replace("_", " ")


def capped(setting: str, current: Any, proposed: Any, max_step: dict[str, float]) -> Any:
    """``proposed`` moved back towards ``current`` so that it is at most ``max_step[setting]`` away."""
    if setting not in NUMERIC_TUNABLES or setting not in max_step:
        return proposed
    if current is None and setting == "target_words":
        current = DEFAULT_TARGET_WORDS
    step = max_step[setting]
    if current is None or abs(proposed - current) <= step:
        return proposed
    moved = current + step if proposed > current else current - step
    return int(moved) if isinstance(proposed, int) else moved


def normalised(setting: str, value: Any, genres: list[str]) -> Any:
    """``value`` as the setting holds it when it is valid (``"150"`` -> 150), else as given."""
    try:
        return valid_value(setting, value, genres)
    except ValueError:
        return value


def evidence_problems(uplift: Uplift, min_sample: int, target: str) -> list[str]:
    """Why the evidence for ``uplift`` is not enough to change anything."""
    problems = []
    metric = TARGET_LABELS.get(target, target)
    if uplift.samples < min_sample:
        problems.append(f"Only {uplift.samples} episodes have a mature {metric}; the channel needs at least "
                        f"{min_sample} before it changes a setting.")
    if not uplift.excludes_zero:
        problems.append(f"The {uplift.confidence:.0%} interval of the effect ({uplift.low:+.1%} to {uplift.high:+.1%}) "
                        "includes zero, so the data cannot tell this change from no change.")
    if uplift.uplift <= 0 or uplift.high <= 0:
        problems.append(f"The change is expected to lower the {metric} ({uplift.uplift:+.1%}), not to improve it.")
    return problems


def guard(uplift: Uplift, channel: ChannelConfig, current: TunableSettings) -> GuardDecision:
    """Allow or refuse ``uplift`` for ``channel`` whose settings are now ``current``; an allowed numeric move
    larger than ``optimization.max_step`` is clipped to the cap (``applied_value``) and the reasons say so."""
    optimization = channel.optimization
    setting, now = uplift.setting, getattr(current, uplift.setting)
    reasons = []
    if not optimization.enabled:
        reasons.append("The analytics loop is switched off for this channel (optimization.enabled: false).")
    try:
        proposed = valid_value(setting, uplift.proposed, channel.genres)
    except ValueError as exc:
        return GuardDecision(allowed=False, setting=setting, proposed=uplift.proposed,
                             reasons=[*reasons, f"The proposed value cannot be used: {exc}."])
    if normalised(setting, uplift.current, channel.genres) != now:
        reasons.append(f"The proposal compares against {label(setting)} {uplift.current!r}, but the channel now "
                       f"uses {now!r}; wait for a recommendation made with the current settings.")
    if proposed == now:
        reasons.append(f"The channel already uses {label(setting)} {proposed!r}.")
    reasons += evidence_problems(uplift, optimization.min_sample, optimization.target)
    applied = capped(setting, now, proposed, optimization.max_step)
    for value in dict.fromkeys([proposed, applied]):
        reasons += [f"Refused by policy: {problem}." for problem in policy_violations(channel, {setting: value})]
    if reasons:
        return GuardDecision(allowed=False, setting=setting, proposed=uplift.proposed, reasons=reasons)
    notes = []
    if applied != proposed:
        start = now if now is not None else f"the writer's default (about {DEFAULT_TARGET_WORDS})"
        notes.append(f"Capped: {label(setting)} moves from {start} to {applied}, not to {proposed}, because one "
                     f"step may move it by at most {optimization.max_step[setting]:g}.")
    return GuardDecision(allowed=True, setting=setting, proposed=uplift.proposed, applied_value=applied,
                         reasons=notes)


def diff_settings(before: TunableSettings, after: TunableSettings) -> dict[str, tuple[Any, Any]]:
    """Settings that differ between two versions, as ``{setting: (before, after)}`` for the audit."""
    old, new = before.model_dump(), after.model_dump()
    return {setting: (old[setting], new[setting]) for setting in old if old[setting] != new[setting]}
