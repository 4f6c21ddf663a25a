"""What the Dagster UI and the runs see, pinned: moving code around must not change it.

Asset keys, dependencies, checks (and whether they block), kinds, pools, partitions, jobs, schedules,
sensors and the resource keys of every ``STORYVID_ENV``. The snapshot is ``snapshots/asset_graph.json``;
after a deliberate change, rewrite it with
``STORYVID_UPDATE_SNAPSHOT=1 pytest storyvid_tests/test_asset_graph_snapshot.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"
ENVIRONMENTS = ("local", "cloud", "production", "production-cloud")

# Builds the code location in a clean process (definitions are cached per process) and prints its shape.
DESCRIBE = r"""
import json, sys
import dagster as dg
from storyvid_assets.definitions import defs

d = defs()
graph = d.resolve_asset_graph()
assets = {}
for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
    node = graph.get(key)
    assets[key.to_user_string()] = {
        "deps": sorted(p.to_user_string() for p in node.parent_keys),
        "kinds": sorted(node.kinds),
        "pools": sorted(node.pools or []) if hasattr(node, "pools") else None,
        "group": node.group_name,
        "partitioned": node.partitions_def is not None,
        "checks": {
            spec.name: {"blocking": spec.blocking}
            for spec in sorted(
                (graph.get_check_spec(ck) for ck in graph.asset_check_keys if ck.asset_key == key),
                key=lambda s: s.name,
            )
        },
    }
part = next(graph.get(k).partitions_def for k in graph.get_all_asset_keys() if graph.get(k).partitions_def)
dims = {dim.name: type(dim.partitions_def).__name__ for dim in part.partitions_defs}
repo = d.get_repository_def()
print(json.dumps({
    "assets": assets,
    "partitions": {"type": type(part).__name__, "dimensions": dims,
                   "channels": part.get_partitions_def_for_dimension("channel").get_partition_keys()},
    "jobs": sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__")),
    "schedules": sorted(
        [s.name, s.cron_schedule, s.execution_timezone, str(s.default_status)] for s in repo.schedule_defs
    ),
    "sensors": sorted([s.name, str(s.default_status)] for s in repo.sensor_defs),
    "resources": {k: type(v).__name__ for k, v in sorted((d.resources or {}).items())},
}, sort_keys=True))
"""


def describe(env: str, home: Path) -> dict[str, Any]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("STORYVID_") and not key.endswith("_API_KEY")
    }
    environ.update({"STORYVID_HOME": str(home), "STORYVID_ENV": env, "STORYVID_START_DATE": "2026-01-01"})
    if env.startswith("production"):
        environ.update({
            "STORYVID_CATALOG_URL": "postgresql+psycopg2://postgres@127.0.0.1:5432/never_opened",
            "STORYVID_S3_BUCKET": "snapshot-bucket",
        })
    result = subprocess.run(
        [sys.executable, "-c", DESCRIBE], env=environ, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_asset_graph_matches_snapshot(tmp_path: Path) -> None:
    shapes = {env: describe(env, tmp_path) for env in ENVIRONMENTS}
    graph = shapes["local"]
    snapshot = {
        **{key: value for key, value in graph.items() if key != "resources"},
        "resources": {env: shape["resources"] for env, shape in shapes.items()},
    }
    for env, shape in shapes.items():  # the graph itself never depends on the environment
        assert {k: v for k, v in shape.items() if k != "resources"} == {
            k: v for k, v in graph.items() if k != "resources"
        }, env
    if os.environ.get("STORYVID_UPDATE_SNAPSHOT"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n")
        pytest.skip("snapshot rewritten")
    assert snapshot == json.loads(SNAPSHOT.read_text())
