"""A real Dagster deployment for console tests: ``dagster-webserver --path-prefix /dagster`` (and, when asked,
``dagster-daemon run``) on the repository's workspace, on a free loopback port, in a temporary
STORYVID_HOME / DAGSTER_HOME with the repository's ``dagster.yaml``.

Teardown terminates every run still going and cancels every backfill through GraphQL, then ends the
processes it started (each in its own process group, so their code servers and run workers go too).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storyvid_assets.settings import REPO_ROOT
from storyvid_tests.browser import free_port

PREFIX = "/dagster"
START_TIMEOUT = 75
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}
BIN = Path(sys.executable).parent


@dataclass
class DagsterDeployment:
    """A running webserver (``url`` ends in ``/dagster``) and its processes' logs."""

    url: str
    home: Path
    logs: list[Path] = field(default_factory=list)

    def client(self) -> Any:
        from dagster_graphql import DagsterGraphQLClient

        port = int(self.url.split(":")[2].split("/")[0])
        return DagsterGraphQLClient("127.0.0.1", port_number=port, path_prefix=PREFIX, timeout=30)

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return self.client()._execute(query, variables)

    def run(self, run_id: str) -> dict[str, Any]:
        result = self.graphql(
            "query($id: ID!) { runOrError(runId: $id) { __typename ... on Run { runId jobName status "
            "tags { key value } } } }", {"id": run_id})["runOrError"]
        assert result["__typename"] == "Run", result
        return result

    def run_ids(self) -> set[str]:
        result = self.graphql("{ runsOrError(limit: 500) { ... on Runs { results { runId } } } }")
        return {r["runId"] for r in result["runsOrError"]["results"]}

    def terminate(self, run_id: str, timeout: float = 45) -> str:
        """Terminate a run (retrying while it is STARTING, when Dagster cannot yet) until it is finished."""
        deadline = time.monotonic() + timeout
        mutation = ("mutation($id: String!, $policy: TerminateRunPolicy) { terminateRun(runId: $id, "
                    "terminatePolicy: $policy) { __typename } }")
        while True:
            status = self.run(run_id)["status"]
            if status in TERMINAL:
                return status
            policy = "MARK_AS_CANCELED_IMMEDIATELY" if time.monotonic() > deadline - 10 else "SAFE_TERMINATE"
            if status != "CANCELING" or policy != "SAFE_TERMINATE":
                self.graphql(mutation, {"id": run_id, "policy": policy})
            assert time.monotonic() < deadline, f"run {run_id} is still {status} after {timeout} s"
            time.sleep(0.5)

    def backfill(self, backfill_id: str) -> dict[str, Any]:
        result = self.graphql(
            "query($id: String!) { partitionBackfillOrError(backfillId: $id) { __typename ... on PartitionBackfill "
            "{ id status jobName partitionNames tags { key value } runs(limit: 100) { runId status } } } }",
            {"id": backfill_id})["partitionBackfillOrError"]
        assert result["__typename"] == "PartitionBackfill", result
        return result

    def cancel_backfill(self, backfill_id: str) -> None:
        result = self.graphql("mutation($id: String!) { cancelPartitionBackfill(backfillId: $id) { __typename } }",
                              {"id": backfill_id})
        assert result["cancelPartitionBackfill"]["__typename"] == "CancelBackfillSuccess", result

    def stop_everything(self) -> None:
        """Cancel every unfinished backfill and terminate every unfinished run."""
        backfills = self.graphql("{ partitionBackfillsOrError(limit: 100) { ... on PartitionBackfills { results "
                                 "{ id status } } } }")["partitionBackfillsOrError"]["results"]
        for backfill in backfills:
            if backfill["status"] == "REQUESTED":
                self.cancel_backfill(backfill["id"])
        runs = self.graphql("{ runsOrError(filter: {statuses: [QUEUED, NOT_STARTED, STARTING, STARTED, CANCELING]}) "
                            "{ ... on Runs { results { runId } } } }")["runsOrError"]["results"]
        for run in runs:
            self.terminate(run["runId"])

    def log_tail(self) -> str:
        return "\n".join(f"--- {log.name}\n" + log.read_text(errors="replace")[-3000:] for log in self.logs
                         if log.exists())


def _ready(deployment: DagsterDeployment) -> bool:
    try:
        result = deployment.graphql("{ repositoriesOrError { __typename ... on RepositoryConnection { nodes { name "
                                    "jobs { name } } } } }")
    except Exception:
        return False
    nodes = result["repositoriesOrError"].get("nodes") or []
    return any(job["name"] == "episode_job" for node in nodes for job in node["jobs"])


def _daemons_healthy(deployment: DagsterDeployment) -> bool:
    """The run queue and the backfill daemons are running."""
    try:
        statuses = deployment.graphql("{ instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }")
    except Exception:
        return False
    healthy = {s["daemonType"] for s in statuses["instance"]["daemonHealth"]["allDaemonStatuses"] if s["healthy"]}
    return {"QUEUED_RUN_COORDINATOR", "BACKFILL"} <= healthy


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        yield process
    finally:
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            if process.poll() is not None:
                break
            try:
                os.killpg(process.pid, sig)  # its own group: the webserver or daemon, its code servers, run workers
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        with suppress(ProcessLookupError):  # anything left in the group (run workers) goes too
            os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def dagster_deployment(root: Path, *, daemon: bool) -> Iterator[DagsterDeployment]:
    """Start the webserver (with the daemon when ``daemon``) under ``root``; yields once GraphQL lists
    ``episode_job``."""
    home = root / "storyvid-home"
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True)
    shutil.copy(REPO_ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("STORYVID_") and key != "DAGSTER_HOME"}
    env |= {"STORYVID_HOME": str(home), "DAGSTER_HOME": str(dagster_home), "PYTHONUNBUFFERED": "1"}
    port = free_port()
    deployment = DagsterDeployment(url=f"http://127.0.0.1:{port}{PREFIX}", home=home)
    workspace = str(REPO_ROOT / "workspace.yaml")
    with ExitStack() as stack:
        deployment.logs.append(root / "webserver.log")
        webserver = stack.enter_context(_process(
            [str(BIN / "dagster-webserver"), "-w", workspace, "-h", "127.0.0.1", "-p", str(port),
             "--path-prefix", PREFIX], env, deployment.logs[-1]))
        processes = [webserver]
        deadline = time.monotonic() + START_TIMEOUT

        def wait_for(ready: Callable[[DagsterDeployment], bool], what: str) -> None:
            while not ready(deployment):
                dead = [p.args for p in processes if p.poll() is not None]
                assert not dead, f"{dead} exited:\n{deployment.log_tail()}"
                assert time.monotonic() < deadline, f"{what} in {START_TIMEOUT} s:\n{deployment.log_tail()}"
                time.sleep(0.5)

        wait_for(_ready, "Dagster's GraphQL did not list episode_job")
        if daemon:  # after the webserver made the instance's storage: two processes migrating it at once collide
            deployment.logs.append(root / "daemon.log")
            processes.append(stack.enter_context(_process(
                [str(BIN / "dagster-daemon"), "run", "-w", workspace], env, deployment.logs[-1])))
            wait_for(_daemons_healthy, "the daemon did not report healthy")
        try:
            yield deployment
        finally:
            try:
                deployment.stop_everything()
            except Exception as exc:  # the processes are ended below either way
                print(f"could not stop Dagster's runs cleanly: {exc}", file=sys.stderr)
