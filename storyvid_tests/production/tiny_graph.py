"""A two-asset partitioned graph on the production storage resources, small enough to run in any executor.

``tiny_line`` writes a text file to the media store; ``tiny_stats`` reads it back through ``local_path`` and
counts its words. Both outputs are pydantic manifests stored by the manifest IO manager, and both record the
process id they ran in, so a test can tell where the steps ran.
"""

# No `from __future__ import annotations` here: dagster 1.13.27 checks the `context` annotation without
# evaluating it, so a string annotation is rejected.
import os

import dagster as dg
from pydantic import BaseModel

from storyvid_assets.episode import media_key, split_partition_key
from storyvid_assets.executors import run_executor
from storyvid_assets.models import MediaRef
from storyvid_assets.resources.sets import production_storage_resources
from storyvid_assets.resources.storage.media_store import MediaStore

TINY_PARTITIONS = dg.MultiPartitionsDefinition(
    {
        "channel": dg.StaticPartitionsDefinition(["bedtime", "science"]),
        "date": dg.DailyPartitionsDefinition(start_date="2026-11-01", end_date="2026-12-01"),
    }
)
TINY_JOB = "tiny_job"


class TinyLine(BaseModel):
    text: MediaRef
    pid: int


class TinyStats(BaseModel):
    words: int
    sha256: str
    pid: int


@dg.asset(partitions_def=TINY_PARTITIONS, io_manager_key="manifest_io_manager")
def tiny_line(context: dg.AssetExecutionContext, media_store: MediaStore) -> TinyLine:
    channel, date = split_partition_key(context.partition_key)
    print(f"tiny_line writing the {channel} line for {date}")
    text = f"Once upon a time on {channel} at {date} a fox slept."
    ref = media_store.put_bytes(media_key(channel, date, "tiny_line", 1, "line.txt"), text.encode(), "text/plain")
    return TinyLine(text=ref, pid=os.getpid())


@dg.asset(partitions_def=TINY_PARTITIONS, io_manager_key="manifest_io_manager")
def tiny_stats(tiny_line: TinyLine, media_store: MediaStore) -> TinyStats:
    text = media_store.local_path(tiny_line.text.key).read_text()
    return TinyStats(words=len(text.split()), sha256=tiny_line.text.sha256, pid=os.getpid())


def tiny_definitions() -> dg.Definitions:
    """The tiny graph on ``production_storage_resources()``, with the executor chosen by STORYVID_EXECUTOR."""
    storage = production_storage_resources()
    return dg.Definitions(
        assets=[tiny_line, tiny_stats],
        jobs=[dg.define_asset_job(TINY_JOB)],
        resources={"media_store": storage["media_store"], "manifest_io_manager": storage["manifest_io_manager"]},
        executor=run_executor(),
    )


def tiny_job() -> dg.JobDefinition:
    """Job factory for ``dg.reconstructable`` (Celery workers rebuild the job in their own process)."""
    return tiny_definitions().resolve_job_def(TINY_JOB)
