"""Channels and configuration: every channel's active configuration version (the channel file with the
``model_configurations`` versions on top), its effective tunable settings, provider chains and tier, daily
budgets and daily-schedule switch. Everyone logged in may look; only admins change anything.

An edit takes two steps: "Preview" validates the form (the messages name the field and the fix; the channel's
policy holds, e.g. a kids channel never gets horror or dark music) and shows a before/after diff; "Save" carries
the configuration version and controls revision the preview was made against and is a conditional update on
both, so a change someone else saved in between is a 409 and overwrites nothing. Saving makes a new
configuration version (``activate_new_version``, with the admin as its author) and an audit row with
before/after; a rollback reuses :func:`storyvid_assets.analytics.loop.rollback`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from storyvid_assets.analytics.loop import rollback
from storyvid_assets.analytics.models import TUNABLE_SETTINGS, TunableSettings
from storyvid_assets.analytics.pinning import current_settings
from storyvid_assets.analytics.tunables import apply_settings, base_settings, resolve, validated
from storyvid_assets.catalog.queries import configurations as config_db
from storyvid_assets.catalog.queries import controls as controls_db
from storyvid_assets.catalog.queries.console import console_audit
from storyvid_assets.channels import ChannelConfig, MusicSettings, get_channel, load_channels, policy_problems
from storyvid_assets.console.core import Console, Refused
from storyvid_assets.errors import ConfigError
from storyvid_assets.provider_config import NAME_CHARS, PROVIDER_KINDS, TIER_ORDER, ChannelProviders
from storyvid_assets.review import auth

SECTION = "/channels"
BUDGET_PREFIX = "budget."
NOTE_MAX = 500
MOODS: tuple[str, ...] = get_args(MusicSettings.model_fields["mood"].annotation)
NOTICES = {  # ?done=... maps to these fixed messages (never echoed from the URL)
    "saved": "Saved. Episodes pinned from now on are made with these settings.",
    "rolled_back": "Rolled back: the earlier settings are active again, as a new version.",
}
LABELS = {
    "narrator_voice": "Narrator voice",
    "narrator_rate": "Narration rate (words per minute)",
    "music_mood": "Music mood",
    "genre": "Genre",
    "posting_hour": "Posting hour",
    "thumbnail_variant": "Thumbnail variant",
    "provider_tier": "Provider tier",
    "target_words": "Target length (words)",
}
FIXES = {
    "narrator_voice": "give the provider's voice id, such as en-us (letters, digits, '-', '_', '.', ':'), or leave "
                      "it empty for the channel file's",
    "narrator_rate": "give a whole number of words per minute from 80 to 450 that the channel's policy allows",
    "music_mood": f"choose one of {list(MOODS)}",
    "genre": "choose one of the channel's genres",
    "posting_hour": "give an hour from 0 to 23 that the channel's policy allows",
    "thumbnail_variant": "choose a or b",
    "provider_tier": f"choose one of {list(TIER_ORDER)}",
    "target_words": "give a number of words from 150 to 1500, or leave it empty for the writer's 300-500",
}
VOICE_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:+")


class ChannelForm(BaseModel):
    """The edit form (and the save form the preview carries), as sent: raw texts, checked by :func:`proposal`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    settings: dict[str, str]  # tunable -> text ("": the channel file's value)
    schedule: str  # "on" | "off"
    budgets: dict[str, str]  # provider -> daily USD text ("": no override, the channel file's budget)
    new_budget_provider: str = ""
    new_budget_usd: str = ""
    base_version: int = Field(ge=0)  # the configuration version the form was made from
    base_controls: int = Field(ge=0)  # the controls revision the form was made from
    note: str = Field(default="", max_length=NOTE_MAX)  # why (kept with the version and in the audit row)


class Proposal(BaseModel):
    """A validated edit: the settings the new version holds, the schedule switch and the budget overrides."""

    model_config = ConfigDict(frozen=True)

    settings: TunableSettings
    schedule_enabled: bool
    budgets_usd: dict[str, float]  # provider -> daily USD set in the console (replaces the file's)


@dataclass(frozen=True)
class ChannelState:
    """What is in force for a channel now."""

    channel: ChannelConfig
    version: int  # active configuration version (0: the channel file alone)
    settings: TunableSettings
    controls_revision: int
    schedule_enabled: bool
    overrides: dict[str, float]
    controls_by: str
    controls_at: datetime | None

    @property
    def budgets(self) -> dict[str, float]:
        return controls_db.effective_budgets(self.channel.providers.budgets_usd, self.overrides)


def load_state(session: Session, channel: ChannelConfig) -> ChannelState:
    try:
        version, settings = current_settings(session, channel)
    except ConfigError as exc:
        raise Refused(500, f"{channel.name}: the active configuration version holds an invalid value ({exc}); "
                           "roll back to an earlier version with `storyvid config rollback`") from None
    row = controls_db.channel_controls(session, channel.name)
    return ChannelState(
        channel=channel, version=version, settings=settings, controls_revision=row.revision if row else 0,
        schedule_enabled=row.schedule_enabled if row else True,
        overrides={k: float(v) for k, v in (row.budgets_usd if row else {}).items()},
        controls_by=row.updated_by if row else "", controls_at=row.updated_at if row else None,
    )


def find_channel(name: str) -> ChannelConfig:
    try:
        channels = load_channels()
    except ConfigError as exc:
        raise Refused(500, f"the channel files cannot be read: {exc}") from None
    if name not in channels:
        raise Refused(404, f"there is no channel {name!r}; the channels are {sorted(channels)}")
    return get_channel(name, channels)


# --------------------------------------------------------------------------- showing values


def shown(setting: str, value: Any) -> str:
    if value is None:
        return "writer's default (300-500)" if setting == "target_words" else "channel file"
    if setting == "posting_hour":
        return f"{value:02d}:00"
    return str(value)


def budget_providers(channel: ChannelConfig, overrides: dict[str, float]) -> list[str]:
    """Providers that may have a budget: those with one, and the cloud providers in the channel's chains."""
    chained = {name for kind in PROVIDER_KINDS for name in (channel.providers.chain_for(kind) or [])}
    return sorted(set(channel.providers.budgets_usd) | set(overrides) | (chained - {"local"}))


def snapshot(channel: ChannelConfig, settings: TunableSettings, schedule_enabled: bool,
             overrides: dict[str, float]) -> dict[str, str]:
    """One line of text per setting, the schedule switch and each budget in force (what the diff compares)."""
    lines = {setting: shown(setting, value) for setting, value in settings.model_dump().items()}
    lines["schedule"] = "on" if schedule_enabled else "off"
    budgets = controls_db.effective_budgets(channel.providers.budgets_usd, overrides)
    for provider in sorted(budgets):
        source = "console" if provider in overrides else "channel file"
        lines[f"{BUDGET_PREFIX}{provider}"] = f"{budgets[provider]:.2f} USD/day ({source})"
    return lines


def diff_lines(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str]]:
    """``(css class, text)`` lines: unchanged lines plain, changed ones as a removed and an added line."""
    lines = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if old == new:
            lines.append(("same", f"  {key}: {old}"))
            continue
        if old is not None:
            lines.append(("del", f"- {key}: {old}"))
        lines.append(("add", f"+ {key}: {new if new is not None else '(none)'}"))
    return lines


def audit_values(state_version: int, settings: TunableSettings, schedule_enabled: bool,
                 overrides: dict[str, float]) -> dict[str, Any]:
    return {"version": state_version, "settings": settings.model_dump(exclude_none=True),
            "schedule_enabled": schedule_enabled, "budgets_usd": dict(sorted(overrides.items()))}


# --------------------------------------------------------------------------- the form


def parse_form(form: FormData) -> ChannelForm:
    def text(name: str) -> str:
        value = form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    def whole(name: str) -> int:
        try:
            return int(text(name) or "0")
        except ValueError:
            raise Refused(422, f"{name}: {text(name)!r} is not a version number; reload the page and edit again"
                          ) from None

    budgets = {str(key)[len(BUDGET_PREFIX):]: text(str(key)) for key in form if str(key).startswith(BUDGET_PREFIX)}
    try:
        return ChannelForm(
            settings={setting: text(setting) for setting in TUNABLE_SETTINGS}, schedule=text("schedule"),
            budgets=budgets, new_budget_provider=text("new_budget_provider"), new_budget_usd=text("new_budget_usd"),
            base_version=whole("base_version"), base_controls=whole("base_controls"), note=text("note"),
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(part) for part in err["loc"])
        raise Refused(422, f"{field}: {err['msg']}. Fix: correct {field} (reload the page if the form is old)"
                      ) from None


def proposal(channel: ChannelConfig, form: ChannelForm) -> Proposal:
    """Check ``form`` for ``channel``; a :class:`Refused` 422 names the first wrong field and the fix."""
    source = f"channel {channel.name}"
    file_values = base_settings(channel).model_dump()
    voice = form.settings.get("narrator_voice", "")
    if len(voice) > 64 or not set(voice) <= VOICE_CHARS:
        raise Refused(422, f"narrator_voice: {voice[:64]!r} is not a voice id. Fix: {FIXES['narrator_voice']}")
    values = {s: form.settings.get(s) or file_values[s] for s in TUNABLE_SETTINGS}
    try:
        settings = validated(values, source)
        apply_settings(channel, settings)  # the genre must be the channel's; the policy (kids: no horror) holds
    except ConfigError as exc:
        fix = FIXES.get(exc.field, exc.fix)
        raise Refused(422, f"{exc.field} ({LABELS.get(exc.field, exc.field)}): {exc.problem}. Fix: {fix}") from None
    if form.schedule not in ("on", "off"):
        raise Refused(422, f"schedule: {form.schedule!r} is neither on nor off. Fix: choose on or off")
    budgets: dict[str, float] = {}
    entries = list(form.budgets.items())
    if form.new_budget_provider or form.new_budget_usd:
        if not form.new_budget_provider or not set(form.new_budget_provider) <= NAME_CHARS:
            raise Refused(422, f"new_budget_provider: {form.new_budget_provider!r} is not a provider name. Fix: "
                               "give the provider's name as the chains spell it (lowercase letters, digits, '-', "
                               "'_'), e.g. openai")
        entries.append((form.new_budget_provider, form.new_budget_usd))
    for provider, amount in entries:
        if not amount:
            continue
        field = f"{BUDGET_PREFIX}{provider}"
        if not provider or not set(provider) <= NAME_CHARS:
            raise Refused(422, f"{field}: {provider!r} is not a provider name. Fix: use lowercase letters, digits, "
                               "'-' or '_'")
        try:
            budgets[provider] = float(amount)
        except ValueError:
            raise Refused(422, f"{field}: {amount!r} is not an amount of USD. Fix: write a number such as 5.00, or "
                               "leave it empty for the channel file's budget") from None
        if not 0 < budgets[provider] < 1_000_000:
            raise Refused(422, f"{field}: {amount} USD per day is not allowed. Fix: give an amount above 0 (and "
                               "below 1,000,000), or leave it empty for the channel file's budget")
    try:
        ChannelProviders(budgets_usd=budgets)
    except ValidationError as exc:
        raise Refused(422, f"budgets: {exc.errors()[0]['msg']}") from None
    return Proposal(settings=settings, schedule_enabled=form.schedule == "on", budgets_usd=budgets)


def form_of(state: ChannelState) -> ChannelForm:
    """The edit form filled in with what is in force."""
    return ChannelForm(
        settings={s: "" if v is None else str(v) for s, v in state.settings.model_dump().items()},
        schedule="on" if state.schedule_enabled else "off",
        budgets={p: f"{state.overrides[p]:.2f}" if p in state.overrides else ""
                 for p in budget_providers(state.channel, state.overrides)},
        base_version=state.version, base_controls=state.controls_revision,
    )


def form_fields(channel: ChannelConfig, form: ChannelForm) -> list[dict[str, Any]]:
    """What the template needs to draw one input per tunable."""
    file_values = base_settings(channel).model_dump()
    moods = [m for m in MOODS if m == file_values["music_mood"] or m == form.settings.get("music_mood")
             or not policy_problems(channel.audience, channel.optimization.policy, {"music_mood": m})]
    options = {"music_mood": moods, "genre": list(channel.genres), "thumbnail_variant": ["a", "b"],
               "provider_tier": list(TIER_ORDER)}
    bounds = {"narrator_rate": (80, 450), "posting_hour": (0, 23), "target_words": (150, 1500)}
    fields = []
    for setting in TUNABLE_SETTINGS:
        low, high = bounds.get(setting, (None, None))
        fields.append({"name": setting, "label": LABELS[setting], "value": form.settings.get(setting, ""),
                       "options": options.get(setting), "number": setting in bounds, "min": low, "max": high,
                       "file": shown(setting, file_values[setting]), "optional": setting == "target_words"})
    return fields


def hidden_fields(form: ChannelForm, proposed: Proposal) -> list[tuple[str, str]]:
    """The save form's hidden inputs: the previewed values and the base they were previewed against."""
    settings = proposed.settings.model_dump()
    pairs = [(s, "" if settings[s] is None else str(settings[s])) for s in TUNABLE_SETTINGS]
    pairs.append(("schedule", "on" if proposed.schedule_enabled else "off"))
    providers = sorted(set(form.budgets) | set(proposed.budgets_usd))
    pairs += [(f"{BUDGET_PREFIX}{p}", f"{proposed.budgets_usd[p]:g}" if p in proposed.budgets_usd else "")
              for p in providers]
    pairs += [("base_version", str(form.base_version)), ("base_controls", str(form.base_controls)),
              ("note", form.note)]
    return pairs


# --------------------------------------------------------------------------- history


def version_history(session: Session, channel: ChannelConfig) -> list[dict[str, Any]]:
    """Every configuration version, newest first, with who/when/why and what it changed from the one before."""
    base = base_settings(channel)
    previous = base.model_dump()
    rows = []
    for row in config_db.configurations(session, channel.name):
        try:
            values = resolve(base, dict(row.settings)).model_dump()
        except ConfigError as exc:
            rows.append({"version": row.version, "active": row.is_active, "at": row.created_at,
                         "by": row.created_by, "reason": row.reason, "changes": [f"invalid: {exc.problem}"]})
            continue
        changes = [f"{s}: {shown(s, previous[s])} → {shown(s, values[s])}" for s in TUNABLE_SETTINGS
                   if previous[s] != values[s]]
        rows.append({"version": row.version, "active": row.is_active, "at": row.created_at, "by": row.created_by,
                     "reason": row.reason, "changes": changes or ["no setting changed"]})
        previous = values
    rows.reverse()
    source = Path(channel.source_file) if channel.source_file else Path("channels", f"{channel.name}.yaml")
    rows.append({"version": 0, "active": not any(r["active"] for r in rows), "at": None, "by": "channel file",
                 "reason": f"{source.parent.name}/{source.name}", "changes": []})
    return rows


def channel_audit(session: Session, name: str) -> list[dict[str, Any]]:
    return [{"at": a.at, "actor": a.actor, "action": a.action, "detail": a.detail,
             "changes": diff_summary(a.before, a.after)} for a in console_audit(session, target=f"channel {name}",
                                                                                  limit=50)]


def diff_summary(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """``key: old → new`` for each top-level value (and setting) that differs between two audit snapshots."""
    out = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if isinstance(old, dict) and isinstance(new, dict) and key == "settings":
            out += [f"{s}: {old.get(s)} → {new.get(s)}" for s in dict.fromkeys([*old, *new])
                    if old.get(s) != new.get(s)]
        elif old != new:
            out.append(f"{key}: {old} → {new}")
    return out


# --------------------------------------------------------------------------- pages


def chains(channel: ChannelConfig) -> list[tuple[str, str]]:
    return [(kind, " → ".join(channel.providers.chain_for(kind) or []) or "resource set default")
            for kind in PROVIDER_KINDS]


def summary(state: ChannelState) -> dict[str, Any]:
    channel = state.channel
    return {
        "name": channel.name, "display_name": channel.display_name, "audience": channel.audience,
        "version": state.version,
        "settings": [(LABELS[s], shown(s, v)) for s, v in state.settings.model_dump().items()],
        "values": {s: shown(s, v) for s, v in state.settings.model_dump().items()},
        "timezone": channel.schedule.timezone, "minute": channel.schedule.minute, "chains": chains(channel),
        "tier": state.settings.provider_tier or channel.providers.tier,
        "budgets": [(p, amount, p in state.overrides) for p, amount in sorted(state.budgets.items())],
        "schedule_enabled": state.schedule_enabled,
    }


def register(app: FastAPI, console: Console) -> None:
    def detail_page(who: auth.LoggedIn, name: str, *, status: int = 200, error: str | None = None,
                    notice: str | None = None, form: ChannelForm | None = None, rebase: bool = False,
                    preview: dict[str, Any] | None = None) -> HTMLResponse:
        channel = find_channel(name)
        with console.db() as session:
            state = load_state(session, channel)
            history = version_history(session, channel)
            audit = channel_audit(session, name)
        current = form_of(state)
        shown_form = current if form is None else form
        if form is not None and rebase:  # a 409: keep the admin's values, on the base now in force
            shown_form = form.model_copy(update={"base_version": state.version,
                                                 "base_controls": state.controls_revision})
        providers = sorted(set(current.budgets) | set(shown_form.budgets))
        return console.page(
            "channels_detail.html", status, who=who, section=SECTION, c=summary(state), channel=channel,
            state=state, form=shown_form, fields=form_fields(channel, shown_form), providers=providers,
            file_budgets=channel.providers.budgets_usd, history=history, audit=audit, error=error, notice=notice,
            preview=preview, can_edit=who.user.role == "admin", providers_config=channel.providers,
        )

    def list_page(request: Request) -> HTMLResponse:
        who = console.user(request)
        try:
            channels = load_channels()
        except ConfigError as exc:
            raise Refused(500, f"the channel files cannot be read: {exc}") from None
        with console.db() as session:
            rows = [summary(load_state(session, channel)) for channel in channels.values()]
        return console.page("channels.html", who=who, section=SECTION, channels=rows)

    def show(request: Request, name: str) -> HTMLResponse:
        who = console.user(request)
        return detail_page(who, name, notice=NOTICES.get(request.query_params.get("done", "")))

    def admin_form(request: Request, form: FormData) -> auth.LoggedIn:
        who = console.user(request, "admin")
        token = form.get("csrf_token", "")
        console.check_csrf(who, token if isinstance(token, str) else "")
        return who

    def conflict_message(state: ChannelState, form: ChannelForm) -> str | None:
        if state.version != form.base_version:
            return (f"Someone saved configuration version {state.version} of {state.channel.name} after you opened "
                    f"the form (you edited version {form.base_version}); nothing was saved. Your values are kept "
                    "below: preview again to see them against the current version.")
        if state.controls_revision != form.base_controls:
            by = f" by {state.controls_by}" if state.controls_by else ""
            return (f"The schedule switch or budgets of {state.channel.name} were changed{by} after you opened the "
                    "form; nothing was saved. Your values are kept below: preview again to see them against the "
                    "current ones.")
        return None

    def preview(request: Request, name: str, data: FormData) -> HTMLResponse:
        who = admin_form(request, data)
        channel = find_channel(name)
        form = parse_form(data)
        try:
            proposed = proposal(channel, form)
        except Refused as exc:
            return detail_page(who, name, status=exc.status, error=exc.message, form=form)
        with console.db() as session:
            state = load_state(session, channel)
        conflict = conflict_message(state, form)
        if conflict:
            return detail_page(who, name, status=409, error=conflict, form=form, rebase=True)
        before = snapshot(channel, state.settings, state.schedule_enabled, state.overrides)
        after = snapshot(channel, proposed.settings, proposed.schedule_enabled, proposed.budgets_usd)
        view = {"lines": diff_lines(before, after), "changed": before != after,
                "hidden": hidden_fields(form, proposed), "version": state.version}
        return detail_page(who, name, form=form, preview=view)

    def save(request: Request, name: str, data: FormData) -> Response:
        who = admin_form(request, data)
        channel = find_channel(name)
        form = parse_form(data)
        try:
            proposed = proposal(channel, form)
        except Refused as exc:
            return detail_page(who, name, status=exc.status, error=exc.message, form=form)
        actor = who.user.username
        try:
            with console.db() as session:
                state = load_state(session, channel)
                conflict = conflict_message(state, form)
                if conflict:
                    raise Refused(409, conflict)
                settings_changed = proposed.settings != state.settings
                controls_changed = (proposed.schedule_enabled, proposed.budgets_usd) != (
                    state.schedule_enabled, state.overrides)
                if not settings_changed and not controls_changed:
                    raise Refused(422, "Nothing to save: the form holds what is already in force. Change a value "
                                       "and preview again.")
                version = state.version
                if settings_changed:
                    after = proposed.settings.model_dump(exclude_none=True)
                    what = ", ".join(f"{s} {shown(s, getattr(state.settings, s))} → {shown(s, v)}"
                                     for s, v in proposed.settings.model_dump().items()
                                     if getattr(state.settings, s) != v)
                    row = config_db.activate_new_version(
                        session, channel.name, form.base_version, after, name=f"{channel.name}: {what}"[:128],
                        created_by=actor, reason=form.note or "edited in the console")
                    version = row.version
                    config_db.add_change(session, channel.name, f"console|{state.version}->{version}", {
                        "source": "console", "status": "applied", "from_version": state.version,
                        "to_version": version, "before": state.settings.model_dump(exclude_none=True),
                        "after": after, "evidence": {}, "actor": actor, "note": form.note,
                    })
                if controls_changed:
                    controls_db.set_channel_controls(
                        session, channel.name, based_on=form.base_controls,
                        schedule_enabled=proposed.schedule_enabled, budgets_usd=proposed.budgets_usd,
                        updated_by=actor)
                console.audit(
                    session, request, actor, "configuration_saved", f"channel {channel.name}",
                    before=audit_values(state.version, state.settings, state.schedule_enabled, state.overrides),
                    after=audit_values(version, proposed.settings, proposed.schedule_enabled, proposed.budgets_usd),
                    detail=form.note or (f"version {state.version} → {version}" if settings_changed
                                         else "schedule/budgets changed"))
        except (config_db.ConfigurationConflict, controls_db.ControlsConflict) as exc:
            return detail_page(who, name, status=409, form=form, rebase=True,
                               error=f"Someone else saved a change first ({exc}); nothing was saved. Your values "
                                     "are kept below: preview again.")
        except Refused as exc:
            if exc.status in (409, 422):
                return detail_page(who, name, status=exc.status, error=exc.message, form=form,
                                   rebase=exc.status == 409)
            raise
        return RedirectResponse(f"/channels/{channel.name}?done=saved", status_code=303)

    def roll_back(request: Request, name: str, data: FormData) -> Response:
        who = admin_form(request, data)
        channel = find_channel(name)
        raw_version, raw_base = data.get("version", ""), data.get("base_version", "")
        try:
            target, base = int(str(raw_version)), int(str(raw_base))
        except ValueError:
            raise Refused(422, "version and base_version must be version numbers; reload the page and use the "
                               "rollback button of the version you want") from None
        actor, note = who.user.username, str(data.get("note", "")).strip()[:NOTE_MAX]
        with console.db() as session:
            state = load_state(session, channel)
            if state.version != base:
                raise Refused(409, f"Configuration version {state.version} of {channel.name} was saved after you "
                                   f"opened the page (you saw version {base}); nothing was rolled back. Look at the "
                                   "history again and roll back from there.")
            known = [row.version for row in config_db.configurations(session, channel.name)]
            if target != 0 and target not in known:
                raise Refused(404, f"version: {channel.name} has no configuration version {target}; known versions "
                                   f"are {[0, *known]}")
            if target == state.version:
                raise Refused(422, f"version: version {target} is already active; choose an earlier version")
            try:
                new_version = rollback(session, channel, target, actor=actor, note=note or f"rollback to {target}")
            except config_db.ConfigurationConflict as exc:
                raise Refused(409, f"Someone else changed the configuration first ({exc}); nothing was rolled back. "
                                   "Look at the history again.") from None
            _, after = current_settings(session, channel)
            try:
                apply_settings(channel, after)
            except ConfigError as exc:  # the channel file changed since: that version is no longer allowed
                raise Refused(422, f"version: version {target} cannot be used any more: {exc.field}: {exc.problem}. "
                                   "Fix: choose another version or edit the settings") from None
            console.audit(
                session, request, actor, "configuration_rolled_back", f"channel {channel.name}",
                before=audit_values(state.version, state.settings, state.schedule_enabled, state.overrides),
                after=audit_values(new_version, after, state.schedule_enabled, state.overrides),
                detail=note or f"rollback to version {target}")
        return RedirectResponse(f"/channels/{channel.name}?done=rolled_back", status_code=303)

    @app.get("/channels")
    async def channels_list(request: Request) -> Response:
        return await run_in_threadpool(list_page, request)

    @app.get("/channels/{name}")
    async def channel_detail(request: Request, name: str) -> Response:
        return await run_in_threadpool(show, request, name)

    @app.post("/channels/{name}/preview")
    async def channel_preview(request: Request, name: str) -> Response:
        return await run_in_threadpool(preview, request, name, await request.form())

    @app.post("/channels/{name}/save")
    async def channel_save(request: Request, name: str) -> Response:
        return await run_in_threadpool(save, request, name, await request.form())

    @app.post("/channels/{name}/rollback")
    async def channel_rollback(request: Request, name: str) -> Response:
        return await run_in_threadpool(roll_back, request, name, await request.form())
