"""A partitioned run whose steps execute in a real dagster-celery worker (a subprocess started here), through the
real broker (Redis or RabbitMQ on loopback), on the production instance (PostgreSQL + S3 compute logs) and the
production storage resources (S3 media store, manifests)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from storyvid_assets.settings import REPO_ROOT
from storyvid_tests.production.conftest import DEPLOY_DIR, RABBITMQ_HOST, RABBITMQ_PORT, ProductionEnv, admin_client
from storyvid_tests.production.tiny_graph import TINY_PARTITIONS, tiny_job
from storyvid_tests.services import REDIS_HOST, REDIS_PORT, require_service

# Redis database 15 is kept for this test, so leftover messages elsewhere on the server never reach its worker.
BROKERS = {
    "redis": (f"redis://{REDIS_HOST}:{REDIS_PORT}/15", f"redis://{REDIS_HOST}:{REDIS_PORT}/15"),
    "rabbitmq": (f"pyamqp://guest:guest@{RABBITMQ_HOST}:{RABBITMQ_PORT}//", "rpc://"),
}
PARTITION = "bedtime|2026-11-25"


@pytest.fixture(
    params=[pytest.param("redis", marks=pytest.mark.redis), pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)]
)
def celery_worker(
    request: pytest.FixtureRequest, production_env: ProductionEnv, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[str]:
    """Broker settings in the environment and one `dagster-celery worker` (solo pool) started as operators do;
    returns the worker's node name. The worker's whole process group is stopped afterwards."""
    if request.param == "redis":
        require_service("Redis", REDIS_HOST, REDIS_PORT)
    else:
        require_service("RabbitMQ", RABBITMQ_HOST, RABBITMQ_PORT)
    broker, backend = BROKERS[request.param]
    bin_dir = Path(sys.executable).parent
    monkeypatch.setenv("DAGSTER_CELERY_BROKER_URL", broker)
    monkeypatch.setenv("DAGSTER_CELERY_BACKEND_URL", backend)
    monkeypatch.setenv("STORYVID_EXECUTOR", "celery")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    name = f"storyvid-test-{uuid.uuid4().hex[:8]}"
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [str(bin_dir / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
         "-y", str(DEPLOY_DIR / "dagster.celery.yaml"), "-n", name, "--", "--pool", "solo"],
        cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        yield name
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        log.close()


@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_steps_run_in_the_celery_worker(celery_worker: str, production_env: ProductionEnv) -> None:
    with dg.DagsterInstance.get() as instance:  # $DAGSTER_HOME/dagster.yaml = deploy/dagster.production.yaml
        result = dg.execute_job(
            dg.reconstructable(tiny_job),
            instance=instance,
            tags=TINY_PARTITIONS.get_tags_for_partition_key(PARTITION),
            raise_on_error=False,
        )
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        handled = {
            e.step_key: e.event_specific_data.metadata["Celery worker"].value
            for e in result.all_events
            if e.is_engine_event and "in celery worker" in (e.message or "")
        }
        assert set(handled) == {"tiny_line", "tiny_stats"}
        assert all(host.startswith(f"{celery_worker}@") for host in handled.values())
        assert instance.get_materialized_partitions(dg.AssetKey("tiny_stats")) == {PARTITION}

    # The manifests in S3 were written by the worker's process, not this one.
    s3 = admin_client(production_env.endpoint)
    key = "test/media/bedtime/2026-11-25/manifests/tiny_stats.json"
    envelope = json.loads(s3.get_object(Bucket=production_env.media_bucket, Key=key)["Body"].read())
    assert envelope["data"]["words"] == 11 and envelope["data"]["pid"] != os.getpid()
