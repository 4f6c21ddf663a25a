"""The console's side of Dagster: runs and backfills through the webserver's GraphQL API.

Everything goes through Dagster's own Python GraphQL client (``dagster_graphql.DagsterGraphQLClient``):
``submit_job_execution`` launches an episode run, and its ``_execute`` sends the queries it does not wrap
(runs filtered by the partition's tags, backfills, ``launchPartitionBackfill``). A run the console launches
carries the tags our own launchers give an episode run (:func:`storyvid_assets.episode.run_tags`) and the
partition tags Dagster itself puts on a run of a multi-partition (``dagster/partition`` and one
``dagster/partition/<dimension>`` per dimension), so the UI, the sensors and the assets see it like any other.

A webserver started with ``--path-prefix /dagster`` (``http://127.0.0.1:3000/dagster``) is also served behind
the console's login at ``/dagster`` (``console/pages/dagster_proxy.py``); run links then go through the console.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from storyvid_assets.episode import CHANNEL_DIMENSION, CHANNEL_TAG, DATE_DIMENSION, partition_key, run_tags

EPISODE_JOB = "episode_job"
PROXY_PREFIX = "/dagster"  # where the console serves a webserver started with --path-prefix /dagster
PARTITION_TAG = "dagster/partition"
CHANNEL_PARTITION_TAG = f"{PARTITION_TAG}/{CHANNEL_DIMENSION}"
DATE_PARTITION_TAG = f"{PARTITION_TAG}/{DATE_DIMENSION}"
REQUESTED_BY_TAG = "storyvid/requested-by"  # the console user who launched the run or backfill
RUN_TRIGGER, BACKFILL_TRIGGER = "console", "console-backfill"
TIMEOUT_SECONDS = 15
FIX_URL = ("give the webserver's address, e.g. http://127.0.0.1:3000 (or http://127.0.0.1:3000/dagster for one "
           "started with --path-prefix /dagster), to --dagster-url or STORYVID_DAGSTER_URL")

RUN_FIELDS = "runId status jobName creationTime startTime endTime tags { key value }"
REPOSITORIES_QUERY = """
query StoryvidRepositories {
  repositoriesOrError {
    __typename
    ... on RepositoryConnection { nodes { name location { name } jobs { name } } }
    ... on Error { message }
  }
}"""
RUN_QUERY = f"""
query StoryvidRun($runId: ID!) {{
  runOrError(runId: $runId) {{
    __typename
    ... on Run {{ {RUN_FIELDS} }}
    ... on Error {{ message }}
  }}
}}"""
BACKFILLS_QUERY = """
query StoryvidBackfills($limit: Int) {
  partitionBackfillsOrError(limit: $limit) {
    __typename
    ... on PartitionBackfills {
      results { id status title jobName numPartitions partitionNames timestamp endTimestamp tags { key value } }
    }
    ... on Error { message }
  }
}"""
LAUNCH_BACKFILL_MUTATION = """
mutation StoryvidBackfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}"""


class DagsterLinkError(Exception):
    """Dagster did not answer or refused; the message is safe to show (no credentials, no query text)."""


class DagsterRun(BaseModel):
    """One Dagster run of a channel's partition, as the runs page shows it."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    job: str
    status: str  # Dagster's RunStatus: QUEUED, STARTING, STARTED, SUCCESS, FAILURE, CANCELING, CANCELED, ...
    channel: str | None
    date: str | None
    tags: dict[str, str]
    created: datetime | None
    started: datetime | None
    ended: datetime | None
    url: str

    @property
    def trigger(self) -> str:
        return self.tags.get("storyvid/trigger", "")


class DagsterBackfill(BaseModel):
    """One partition backfill (job backfill of ``episode_job`` or any other)."""

    model_config = ConfigDict(frozen=True)

    backfill_id: str
    status: str  # BulkActionStatus: REQUESTED, COMPLETED, FAILED, CANCELING, CANCELED, ...
    title: str | None
    job: str | None
    partitions: list[str]
    channel: str | None
    created: datetime | None
    ended: datetime | None
    url: str

    @property
    def span(self) -> str:
        """``first..last (n)`` of the partitions' dates."""
        dates = sorted(key.partition("|")[2] or key for key in self.partitions)
        if not dates:
            return ""
        return dates[0] if len(dates) == 1 else f"{dates[0]} .. {dates[-1]} ({len(dates)})"


def _time(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


def _tags(raw: list[dict[str, str]] | None) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in raw or []}


def safe_url(url: str) -> str:
    """``url`` without any user:password part, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc, query="", fragment="").geturl()


def parse_dagster_url(url: str) -> tuple[str, int | None, bool, str]:
    """``(host, port, https, path prefix)`` of a webserver URL; ValueError naming the fix when it is not one."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--dagster-url / STORYVID_DAGSTER_URL {safe_url(url)!r} is not an http(s) URL: {FIX_URL}")
    if parts.query or parts.fragment:
        raise ValueError(f"--dagster-url / STORYVID_DAGSTER_URL {safe_url(url)!r} has a query or fragment: {FIX_URL}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"--dagster-url / STORYVID_DAGSTER_URL has a bad port: {FIX_URL}") from None
    return parts.hostname, port, parts.scheme == "https", parts.path.rstrip("/")


def proxied(dagster_url: str | None) -> bool:
    """Whether the console serves this webserver's UI at ``/dagster`` (it runs with ``--path-prefix /dagster``)."""
    if not dagster_url:
        return False
    try:
        return parse_dagster_url(dagster_url)[3] == PROXY_PREFIX
    except ValueError:
        return False


def ui_base(dagster_url: str, dagster_ui_url: str | None) -> str:
    """Where browsers open run pages: through the console's ``/dagster`` when it proxies the UI and no other
    UI address was given, else ``dagster_ui_url``."""
    if proxied(dagster_url) and (not dagster_ui_url or dagster_ui_url.rstrip("/") == dagster_url.rstrip("/")):
        return PROXY_PREFIX
    return (dagster_ui_url or dagster_url).rstrip("/")


def episode_run_tags(channel: str, date: str, trigger: str, requested_by: str | None = None) -> dict[str, str]:
    """The tags of an episode run of (channel, date): our launchers' tags and Dagster's partition tags."""
    from storyvid_assets.assets.partitions import episode_partitions_def

    key = partition_key(channel, date)
    tags = dict(episode_partitions_def().get_tags_for_partition_key(str(key)))  # as Dagster tags a partition run
    tags |= run_tags(channel, trigger)
    if requested_by:
        tags[REQUESTED_BY_TAG] = requested_by
    return tags


class DagsterLink:
    """The Dagster webserver at ``url`` (GraphQL); run links point at ``ui_url``."""

    def __init__(self, url: str, ui_url: str | None = None, timeout: int = TIMEOUT_SECONDS) -> None:
        from dagster_graphql import DagsterGraphQLClient

        host, port, https, prefix = parse_dagster_url(url)
        self.url = url.rstrip("/")
        self.ui_url = ui_base(url, ui_url)
        self.client = DagsterGraphQLClient(host, port_number=port, use_https=https, timeout=timeout,
                                           path_prefix=prefix)

    def run_url(self, run_id: str) -> str:
        return f"{self.ui_url}/runs/{run_id}"

    def backfill_url(self, backfill_id: str) -> str:
        return f"{self.ui_url}/runs/b/{backfill_id}"

    def _execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        from dagster_graphql import DagsterGraphQLClientError
        from gql.transport.exceptions import TransportQueryError

        try:
            with warnings.catch_warnings():  # gql deprecates the call Dagster's client makes
                warnings.simplefilter("ignore", DeprecationWarning)
                return self.client._execute(query, variables)
        except DagsterGraphQLClientError as exc:
            cause = exc.__cause__ or exc
            if isinstance(cause, TransportQueryError):  # Dagster answered with GraphQL errors
                raise DagsterLinkError(f"Dagster refused the request: {str(cause)[:300]}") from None
            code = getattr(cause, "code", None)
            detail = type(cause).__name__ + (f" {code}" if code else "")
            raise DagsterLinkError(f"Dagster at {safe_url(self.url)} did not answer ({detail}); check that its "
                                   f"webserver runs there, or {FIX_URL}") from None

    @staticmethod
    def _unwrap(result: dict[str, Any], field: str, expected: str) -> dict[str, Any]:
        value = result[field]
        if value["__typename"] != expected:
            raise DagsterLinkError(f"Dagster refused ({value['__typename']}): {value.get('message', '')}")
        return value

    def _run(self, raw: dict[str, Any]) -> DagsterRun:
        tags = _tags(raw.get("tags"))
        return DagsterRun(
            run_id=raw["runId"], job=raw.get("jobName") or "", status=raw["status"],
            channel=tags.get(CHANNEL_PARTITION_TAG), date=tags.get(DATE_PARTITION_TAG), tags=tags,
            created=_time(raw.get("creationTime")), started=_time(raw.get("startTime")),
            ended=_time(raw.get("endTime")), url=self.run_url(raw["runId"]),
        )

    def channel_runs(self, channels: list[str], limit: int = 50) -> dict[str, list[DagsterRun]]:
        """Each channel's latest runs (any job), newest first: runs tagged ``dagster/partition/channel``.
        One GraphQL request with one aliased ``runsOrError`` per channel."""
        if not channels:
            return {}
        names = {f"c{i}": channel for i, channel in enumerate(channels)}
        params = ", ".join(f"${alias}: String!" for alias in names)
        fields = "\n".join(
            f'  {alias}: runsOrError(filter: {{tags: [{{key: "{CHANNEL_PARTITION_TAG}", value: ${alias}}}]}}, '
            f"limit: $limit) {{ __typename ... on Runs {{ results {{ {RUN_FIELDS} }} }} ... on Error {{ message }} }}"
            for alias in names
        )
        query = f"query StoryvidChannelRuns({params}, $limit: Int) {{\n{fields}\n}}"
        result = self._execute(query, {**names, "limit": limit})
        return {channel: [self._run(raw) for raw in self._unwrap(result, alias, "Runs")["results"]]
                for alias, channel in names.items()}

    def run(self, run_id: str) -> DagsterRun | None:
        """One run, None when Dagster has no run of that id."""
        value = self._execute(RUN_QUERY, {"runId": run_id})["runOrError"]
        if value["__typename"] == "RunNotFoundError":
            return None
        return self._run(self._unwrap({"runOrError": value}, "runOrError", "Run"))

    def backfills(self, limit: int = 20) -> list[DagsterBackfill]:
        """The latest partition backfills, newest first."""
        value = self._unwrap(self._execute(BACKFILLS_QUERY, {"limit": limit}), "partitionBackfillsOrError",
                             "PartitionBackfills")
        backfills = []
        for raw in value["results"]:
            tags = _tags(raw.get("tags"))
            names = list(raw.get("partitionNames") or [])
            channels = {key.partition("|")[0] for key in names if "|" in key}
            channel = tags.get(CHANNEL_TAG) or (channels.pop() if len(channels) == 1 else None)
            backfills.append(DagsterBackfill(
                backfill_id=raw["id"], status=raw["status"], title=raw.get("title"), job=raw.get("jobName"),
                partitions=names, channel=channel, created=_time(raw.get("timestamp")),
                ended=_time(raw.get("endTimestamp")), url=self.backfill_url(raw["id"]),
            ))
        return backfills

    def _locate(self, job: str) -> tuple[str, str]:
        """``(code location, repository)`` holding ``job``."""
        value = self._unwrap(self._execute(REPOSITORIES_QUERY), "repositoriesOrError", "RepositoryConnection")
        found = [(node["location"]["name"], node["name"]) for node in value["nodes"]
                 if any(j["name"] == job for j in node["jobs"])]
        if len(found) != 1:
            where = "no code location" if not found else f"{len(found)} code locations"
            raise DagsterLinkError(f"Dagster at {safe_url(self.url)} has {where} with the job {job}; load the "
                                   "StoryVid workspace (workspace.yaml) in that webserver")
        return found[0]

    def launch_episode(self, channel: str, date: str, requested_by: str | None = None) -> str:
        """Launch ``episode_job`` for (channel, date); returns the run id."""
        from dagster_graphql import DagsterGraphQLClientError

        location, repository = self._locate(EPISODE_JOB)
        tags = episode_run_tags(channel, date, RUN_TRIGGER, requested_by)
        try:
            with warnings.catch_warnings():  # Dagster's own partition tag keys have two '/' and warn
                warnings.simplefilter("ignore", DeprecationWarning)
                return self.client.submit_job_execution(EPISODE_JOB, repository_location_name=location,
                                                        repository_name=repository, tags=tags)
        except DagsterGraphQLClientError as exc:
            if exc.__cause__ is not None:  # the request itself failed
                raise DagsterLinkError(f"Dagster at {safe_url(self.url)} did not answer; check that its webserver "
                                       f"runs there, or {FIX_URL}") from None
            detail = exc.args[1] if len(exc.args) > 1 else ""
            raise DagsterLinkError(f"Dagster refused the run ({exc.args[0]}): {str(detail)[:300]}") from None

    def launch_backfill(self, channel: str, dates: list[str], requested_by: str | None = None) -> str:
        """Launch a partition backfill of ``episode_job`` over (channel, each date); returns the backfill id."""
        location, repository = self._locate(EPISODE_JOB)
        tags = run_tags(channel, BACKFILL_TRIGGER) | ({REQUESTED_BY_TAG: requested_by} if requested_by else {})
        params = {
            "selector": {"partitionSetName": f"{EPISODE_JOB}_partition_set",
                         "repositorySelector": {"repositoryLocationName": location, "repositoryName": repository}},
            "partitionNames": [str(partition_key(channel, date)) for date in dates],
            "tags": [{"key": key, "value": value} for key, value in tags.items()],
            "title": f"{channel} {dates[0]}..{dates[-1]}",
            "description": f"Launched from the StoryVid console by {requested_by or 'someone'}",
        }
        value = self._unwrap(self._execute(LAUNCH_BACKFILL_MUTATION, {"params": params}), "launchPartitionBackfill",
                             "LaunchBackfillSuccess")
        return str(value["backfillId"])
