"""Run one episode's assets in process, headless, with a progress callback (the CLI and tests use it)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import dagster as dg

from storyvid_assets.definitions import build_definitions
from storyvid_assets.episode import partition_key

ProgressFn = Callable[[str, int, int], None]  # (step that finished, done, total)


def _watch_steps(instance: dg.DagsterInstance, run_id: str, total: int, progress: ProgressFn,
                 stop: threading.Event) -> None:
    seen: set[str] = set()
    while True:
        finished = stop.is_set()
        for record in instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.STEP_SUCCESS).records:
            step = record.event_log_entry.step_key or "?"
            if step not in seen:
                seen.add(step)
                progress(step, len(seen), total)
        if finished:
            return
        time.sleep(0.5)


def run_episode(
    channel: str,
    date: str,
    *,
    resources: dict[str, Any] | None = None,
    instance: dg.DagsterInstance | None = None,
    tags: dict[str, str] | None = None,
    progress: ProgressFn | None = None,
    raise_on_error: bool = True,
    asset_selection: list[dg.AssetKey] | None = None,
    log_level: str = "DEBUG",
) -> dg.ExecuteInProcessResult:
    """Materialize every episode asset (and its checks) for (channel, date) in this process."""
    defs = build_definitions(resources)
    job = defs.resolve_job_def("episode_job")
    run_id = str(uuid.uuid4())
    instance = instance or dg.DagsterInstance.ephemeral()
    stop = threading.Event()
    watcher = None
    if progress is not None:
        total = len([n for n in job.graph.node_dict]) if asset_selection is None else len(asset_selection)
        watcher = threading.Thread(target=_watch_steps, args=(instance, run_id, total, progress, stop), daemon=True)
        watcher.start()
    try:
        return job.execute_in_process(
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            partition_key=partition_key(channel, date), instance=instance, run_id=run_id,
            tags=tags or {}, raise_on_error=raise_on_error, asset_selection=asset_selection,
        )
    finally:
        stop.set()
        if watcher is not None:
            watcher.join(timeout=5)
