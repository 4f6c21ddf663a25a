"""A Dagster instance built from deploy/dagster.production.yaml: PostgreSQL storage (a fresh database on the real
server), S3 compute logs (moto on loopback); a partitioned materialization on the production storage resources."""

from __future__ import annotations

import json

import dagster as dg
import pytest
import sqlalchemy as sa

from storyvid_assets.resources.sets import build_resources
from storyvid_tests.production.conftest import ProductionEnv, admin_client
from storyvid_tests.production.tiny_graph import tiny_line, tiny_stats

PARTITIONS = ["bedtime|2026-11-24", "science|2026-11-25"]


@pytest.mark.postgres
def test_partitioned_run_recorded_in_postgres_with_logs_in_s3(production_env: ProductionEnv) -> None:
    from dagster_aws.s3.compute_log_manager import S3ComputeLogManager
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage

    resources = build_resources()  # STORYVID_ENV=production: S3 media store + manifests on it
    with dg.DagsterInstance.from_config(str(production_env.dagster_home)) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.compute_log_manager, S3ComputeLogManager)
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert type(instance.run_launcher).__name__ == "DefaultRunLauncher"

        run_ids = []
        for key in PARTITIONS:
            result = dg.materialize(
                [tiny_line, tiny_stats],
                resources={k: resources[k] for k in ("media_store", "manifest_io_manager")},
                partition_key=key,
                instance=instance,
            )
            assert result.success
            run_ids.append(result.run_id)

        # Read back through the instance ...
        assert instance.get_materialized_partitions(dg.AssetKey("tiny_stats")) == set(PARTITIONS)
        records = instance.fetch_materializations(dg.AssetKey("tiny_line"), limit=10).records
        assert sorted(r.partition_key for r in records) == PARTITIONS
        run = instance.get_run_by_id(run_ids[0])
        assert run is not None and run.tags["dagster/partition/channel"] == "bedtime"

    # ... and straight from the PostgreSQL database, so nothing was kept on local disk instead.
    engine = sa.create_engine(production_env.catalog_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT asset_key, partition FROM event_logs "
                    "WHERE dagster_event_type = 'ASSET_MATERIALIZATION' ORDER BY asset_key, partition"
                )
            ).all()
            runs = conn.execute(sa.text("SELECT run_id, status FROM runs")).all()
    finally:
        engine.dispose()
    assert [(json.loads(a)[-1], p) for a, p in rows] == [
        ("tiny_line", PARTITIONS[0]),
        ("tiny_line", PARTITIONS[1]),
        ("tiny_stats", PARTITIONS[0]),
        ("tiny_stats", PARTITIONS[1]),
    ]
    assert {r.run_id: r.status for r in runs} == dict.fromkeys(run_ids, "SUCCESS")

    # Step output captured by the S3 compute log manager.
    s3 = admin_client(production_env.endpoint)
    log_keys = [o["Key"] for o in s3.list_objects_v2(Bucket=production_env.logs_bucket).get("Contents", [])]
    assert log_keys and all(k.startswith("storyvid/compute-logs/") for k in log_keys)
    stdout = "".join(
        s3.get_object(Bucket=production_env.logs_bucket, Key=k)["Body"].read().decode()
        for k in log_keys
        if k.endswith(".out")
    )
    assert "tiny_line writing the bedtime line for 2026-11-24" in stdout
    assert "tiny_line writing the science line for 2026-11-25" in stdout

    # Media and manifests went to the media bucket under STORYVID_S3_PREFIX.
    media = {o["Key"] for o in s3.list_objects_v2(Bucket=production_env.media_bucket)["Contents"]}
    assert "test/media/science/2026-11-25/manifests/tiny_stats.json" in media
