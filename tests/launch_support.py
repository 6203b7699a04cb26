"""The launch-kinds code location (tests/dagster_projects/launch_kinds) served by a real Dagster
webserver on 127.0.0.1, and what the tests read back from it: what each asset ran with (the
JSON files it writes under `out/`) and the runs and backfills Dagster has."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.dagster_support import CLIENT_TIMEOUT, DagsterServer, serve

LAUNCH_KINDS = Path(__file__).parent / "dagster_projects" / "launch_kinds"


def serve_launch_kinds(root: Path, dagster_settings: str = "") -> Iterator[DagsterServer]:
    """The project copied to `root` (its assets write to `root/out`), served, with a
    marimo-tui.yaml pointing at it."""
    shutil.copytree(
        LAUNCH_KINDS, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "out")
    )
    for server in serve(root, root / "definitions.py"):
        (root / "marimo-tui.yaml").write_text(
            f"dagster:\n  url: {server.url}\n  timeout: {CLIENT_TIMEOUT:g}\n{dagster_settings}"
        )
        yield server


def written(root: Path, name: str) -> dict[str, Any]:
    """What asset `name` recorded when it last ran."""
    return dict(json.loads((root / "out" / f"{name}.json").read_text()))


def graphql(url: str, query: str, **variables: Any) -> dict[str, Any]:
    """One query sent as a plain HTTP POST: the tests' own view, independent of our client."""
    answer = httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables}, timeout=CLIENT_TIMEOUT
    )
    answer.raise_for_status()
    body = answer.json()
    assert "errors" not in body, body["errors"]
    return dict(body["data"])


RUN_QUERY = """
query($runId: ID!) {
  runOrError(runId: $runId) {
    ... on Run {
      runId status parentRunId runConfigYaml
      tags { key value }
      assetSelection { path }
      stepStats { stepKey status }
    }
  }
}
"""


def run_info(url: str, run_id: str) -> dict[str, Any]:
    run = graphql(url, RUN_QUERY, runId=run_id)["runOrError"]
    run["tags"] = {t["key"]: t["value"] for t in run["tags"]}
    return dict(run)


TAGGED_QUERY = """
query($tags: [ExecutionTag!]) {
  runsOrError(filter: { tags: $tags }) { ... on Runs { results { runId } } }
}
"""


def runs_tagged(url: str, key: str, value: str) -> list[str]:
    data = graphql(url, TAGGED_QUERY, tags=[{"key": key, "value": value}])
    return [r["runId"] for r in data["runsOrError"]["results"]]


BACKFILL_QUERY = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    ... on PartitionBackfill { id partitionNames assetSelection { path } tags { key value } }
  }
}
"""


def backfill_info(url: str, backfill_id: str) -> dict[str, Any]:
    backfill = graphql(url, BACKFILL_QUERY, id=backfill_id)["partitionBackfillOrError"]
    backfill["tags"] = {t["key"]: t["value"] for t in backfill["tags"]}
    return dict(backfill)
