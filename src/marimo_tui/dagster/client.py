"""An async Dagster GraphQL client: gql 4 over one kept-alive HTTPX connection.

Dagster's own `DagsterGraphQLClient` is synchronous and covers a few calls; this one sends our
documents (`documents/*.graphql`) and turns every failure — server down, HTTP errors, GraphQL
errors, the typed error results of each union — into a one-line `DagsterError`. gql is imported
on first use: the workbench's first frame must not wait for it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from marimo_tui.dagster.documents import document, pruned
from marimo_tui.dagster.errors import (
    SERVER_DOWN_FIX,
    DagsterError,
    one_line,
    result_error,
)
from marimo_tui.dagster.model import ASSET_JOB, CapturedLogs, Job, LocationStamp, Run, Workspace
from marimo_tui.dagster.parse import (
    PollAnswer,
    parse_location_stamp,
    parse_poll,
    parse_run,
    parse_workspace,
)

TOKEN_HEADER = "Dagster-Cloud-Api-Token"


def web_url(url: str) -> str:
    """The webserver's own URL (run links hang off it), whether `dagster.url` was given with
    `/graphql` and a trailing slash or without."""
    return url.strip().rstrip("/").removesuffix("/graphql").rstrip("/")


def endpoint(url: str) -> str:
    return f"{web_url(url)}/graphql"


class DagsterClient:
    """Use as `async with DagsterClient(url) as client:`; one connection serves every call."""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 10.0) -> None:
        self.url = web_url(url)
        self.timeout = timeout
        self._token = token
        self._session: Any = None
        self._client: Any = None
        self._requests: dict[tuple[str, frozenset[str]], Any] = {}
        self.requests_sent = 0  # for the benchmark and tests: one per poll

    def sibling(self, timeout: float) -> DagsterClient:
        """A client of the same server with another timeout (and a connection of its own)."""
        return DagsterClient(self.url, token=self._token, timeout=timeout)

    # -- connection ------------------------------------------------------------------------
    async def __aenter__(self) -> DagsterClient:
        await self.connect()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def connect(self) -> None:
        if self._session is not None:
            return
        import httpx
        from gql import Client
        from gql.transport.httpx import HTTPXAsyncTransport

        # gql logs every request and answer at INFO: far too much for our log files.
        logging.getLogger("gql").setLevel(logging.WARNING)
        logging.getLogger("httpx").setLevel(logging.WARNING)
        headers = {TOKEN_HEADER: self._token} if self._token else {}
        transport = HTTPXAsyncTransport(
            url=endpoint(self.url),
            headers=headers,
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 5.0)),
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=2),
        )
        self._client = Client(transport=transport, execute_timeout=self.timeout + 1)
        self._session = await self._client.connect_async(reconnecting=False)

    async def close(self) -> None:
        if self._client is not None and self._session is not None:
            self._session = None
            await self._client.close_async()

    # -- requests --------------------------------------------------------------------------
    def _request(self, name: str, skip: frozenset[str] = frozenset()) -> Any:
        request = self._requests.get((name, skip))
        if request is None:
            from gql import gql

            text = pruned(name, skip)[0] if skip else document(name)
            request = self._requests[name, skip] = gql(text)
        return request

    async def execute(
        self,
        name: str,
        variables: Mapping[str, Any],
        doing: str,
        skip: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        """Send `documents/NAME.graphql` without its root fields in `skip`; the data, or
        DagsterError saying what `doing` hit."""
        from gql.graphql_request import GraphQLRequest
        from gql.transport.exceptions import (
            TransportConnectionFailed,
            TransportProtocolError,
            TransportQueryError,
            TransportServerError,
        )

        await self.connect()
        request = GraphQLRequest(self._request(name, skip), variable_values=dict(variables))
        self.requests_sent += 1
        try:
            data = await self._session.execute(request)
        except TransportQueryError as exc:
            errors = exc.errors or [{"message": str(exc)}]
            message = one_line(errors[0].get("message") or str(exc))
            raise DagsterError(f"{doing}: GraphQL error: {message}", kind="GraphQLError") from None
        except TransportServerError as exc:
            raise self._http_error(exc.code, doing) from None
        except TransportProtocolError:
            raise DagsterError(
                f"{doing}: {self.url} did not answer as a Dagster GraphQL server "
                "(is dagster.url the webserver's address?)",
                kind="ProtocolError",
            ) from None
        except TimeoutError:
            raise DagsterError(
                f"{doing}: Dagster at {self.url} did not answer within {self.timeout:g} s",
                down=True,
                kind="Timeout",
            ) from None
        except (TransportConnectionFailed, OSError) as exc:
            raise self._down(exc, doing) from None
        return dict(data)

    def _down(self, exc: BaseException, doing: str) -> DagsterError:
        import httpx

        cause = exc.__cause__ or exc
        if isinstance(cause, httpx.TimeoutException):
            reason = f"no answer within {self.timeout:g} s"
        elif isinstance(cause, httpx.ConnectError | ConnectionRefusedError):
            # Nothing reached the server: a launch surely did not happen.
            return DagsterError(
                f"{doing}: Dagster is not reachable at {self.url} (connection refused); "
                f"{SERVER_DOWN_FIX}",
                down=True,
                kind="Refused",
            )
        elif isinstance(cause, httpx.RemoteProtocolError):
            reason = "the connection closed mid-answer"
        else:
            reason = one_line(str(cause)) or type(cause).__name__
        return DagsterError(
            f"{doing}: Dagster is not reachable at {self.url} ({reason}); {SERVER_DOWN_FIX}",
            down=True,
            kind="Down",
        )

    def _http_error(self, code: int | None, doing: str) -> DagsterError:
        if code in (401, 403):
            hint = (
                "the token was refused"
                if self._token
                else "set the env var named in dagster.token_env"
            )
            return DagsterError(f"{doing}: HTTP {code} from {self.url}: {hint}", kind="HTTP")
        if code == 404:
            return DagsterError(
                f"{doing}: HTTP 404: no GraphQL endpoint at {endpoint(self.url)} "
                "(is dagster.url the webserver's address?)",
                kind="HTTP",
            )
        down = code is not None and code >= 500
        return DagsterError(f"{doing}: HTTP {code} from {self.url}", down=down, kind="HTTP")

    # -- calls -------------------------------------------------------------------------------
    async def workspace(self) -> Workspace:
        data = await self.execute("workspace", {}, "reading the workspace")
        result = data["workspaceOrError"]
        if result["__typename"] != "Workspace":
            raise result_error(result, "reading the workspace")
        return parse_workspace(result)

    async def launch_assets(
        self,
        location: str,
        repository: str,
        keys: Sequence[Sequence[str]],
        *,
        run_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Run:
        """Materialize assets through the implicit asset job."""
        selector = {
            "repositoryLocationName": location,
            "repositoryName": repository,
            "jobName": ASSET_JOB,
            "assetSelection": [{"path": list(k)} for k in keys],
        }
        doing = "launching " + ", ".join("/".join(k) for k in keys)
        return await self._launch(selector, run_config, tags, doing)

    async def launch_job(
        self,
        job: Job,
        *,
        run_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Run:
        selector = {
            "repositoryLocationName": job.location,
            "repositoryName": job.repository,
            "jobName": job.name,
        }
        return await self._launch(selector, run_config, tags, f"launching job {job.name}")

    async def _launch(
        self,
        selector: dict[str, Any],
        run_config: Mapping[str, Any] | None,
        tags: Mapping[str, str] | None,
        doing: str,
    ) -> Run:
        params: dict[str, Any] = {"selector": selector, "runConfigData": dict(run_config or {})}
        if tags:
            params["executionMetadata"] = {
                "tags": [{"key": k, "value": v} for k, v in tags.items()]
            }
        data = await self.execute("launch", {"executionParams": params}, doing)
        result = data["launchRun"]
        if result["__typename"] != "LaunchRunSuccess":
            raise result_error(result, doing)
        return parse_run(result["run"])

    async def terminate(self, run_id: str) -> Run:
        doing = f"terminating run {run_id[:8]}"
        data = await self.execute("terminate", {"runId": run_id}, doing)
        result = data["terminateRun"]
        if result["__typename"] != "TerminateRunSuccess":
            raise result_error(result, doing)
        return parse_run(result["run"])

    async def reload_location(self, name: str) -> LocationStamp:
        """Reload a code location; its entry after, with its load error if it failed."""
        doing = f"reloading code location {name}"
        data = await self.execute("reload", {"name": name}, doing)
        result = data["reloadRepositoryLocation"]
        if result["__typename"] != "WorkspaceLocationEntry":
            raise result_error(result, doing)
        return parse_location_stamp(result)

    async def poll(
        self,
        *,
        changed: Mapping[str, Any] | None = None,
        limit: int = 50,
        in_flight: bool = False,
        shown: Sequence[str] = (),
        selected: str | None = None,
        after: str | None = None,
        locations: bool = True,
        assets: Sequence[Sequence[str]] | None = None,
        with_assets: bool = False,
    ) -> PollAnswer:
        """One request: runs matching `changed` (and every run in flight with `in_flight`),
        step counts of `shown`, events of `selected` after `after`, the code locations, and
        with `with_assets` the status of `assets` (None: of every asset)."""
        variables = {
            "changed": dict(changed or {}),
            "limit": limit,
            "withInFlight": in_flight,
            "shown": list(shown),
            "withShown": bool(shown),
            "selected": selected or "",
            "withSelected": selected is not None,
            "after": after,
            "withLocations": locations,
            "assets": None if assets is None else [{"path": list(k)} for k in assets],
            "withAssets": with_assets,
        }
        # The fields not asked this time are left out of the document, not just turned off
        # (`documents.pruned`): what the webserver parses and validates is what it answers.
        asked = {
            "inFlight": in_flight,
            "shown": bool(shown),
            "selected": selected is not None,
            "locations": locations,
            "assets": with_assets,
        }
        skip = frozenset(k for k, on in asked.items() if not on)
        used = pruned("poll", skip)[1]
        variables = {k: v for k, v in variables.items() if k in used}
        data = await self.execute("poll", variables, "polling runs", skip)
        return parse_poll(data, selected)

    async def captured_logs(
        self, run_id: str, file_key: str, cursor: str | None = None
    ) -> CapturedLogs:
        data = await self.execute(
            "logs",
            {"logKey": [run_id, "compute_logs", file_key], "cursor": cursor},
            f"reading the logs of run {run_id[:8]}",
        )
        logs = data["capturedLogs"]
        return CapturedLogs(logs.get("stdout") or "", logs.get("stderr") or "", logs.get("cursor"))
