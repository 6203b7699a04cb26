"""Every way a Dagster request fails, as one line that says what went wrong (and the fix)."""

from __future__ import annotations

from typing import Any

NOT_CONFIGURED = (
    "Dagster is not configured: set dagster.url in marimo-tui.yaml or MARIMO_TUI_DAGSTER_URL"
)
SERVER_DOWN_FIX = "start it (`marimo-tui dev` or `dagster dev`) or fix dagster.url"


class DagsterError(Exception):
    """A request to Dagster failed; `str()` is one line (run config refused for several
    reasons: one line for each). `down` marks an unreachable server, which a poller retries by
    itself."""

    def __init__(self, message: str, *, down: bool = False, kind: str = "") -> None:
        super().__init__(message)
        self.down = down
        self.kind = kind


def one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def python_error(error: dict[str, Any]) -> str:
    """`ClassName: message` of a PythonError; when it has causes, the innermost one first (a
    code location that failed to load says "DagsterUserCodeLoadError" with the user's own
    exception as its cause)."""

    def describe(e: dict[str, Any], limit: int) -> str:
        message = one_line(e.get("message") or "", limit)
        name = e.get("className") or ""
        # Dagster's messages often start with the qualified class name again.
        if name and (i := message.find(f"{name}: ")) != -1 and "." in message[: i + 1]:
            message = message[i + len(name) + 2 :]
        return f"{name}: {message}" if name and not message.startswith(name) else message

    causes = error.get("causes") or []
    if not causes:
        return describe(error, 300)
    return one_line(f"{describe(causes[-1], 200)} ({describe(error, 100)})")


def config_problem(error: dict[str, Any]) -> str:
    """One config validation error: where (`ops.configured.config.rows`), Dagster's reason and
    message."""
    parts: list[str] = []
    for entry in (error.get("stack") or {}).get("entries") or error.get("path") or ():
        if isinstance(entry, str):
            parts.append(entry)
        elif "fieldName" in entry:
            parts.append(str(entry["fieldName"]))
        elif "listIndex" in entry:
            parts.append(f"[{entry['listIndex']}]")
        elif "mapKey" in entry:
            parts.append(f"[{entry['mapKey']!r}]")
    where = ".".join(parts).replace(".[", "[") or "(root)"
    reason = error.get("reason") or "INVALID"
    return one_line(f"{where}: {reason}: {error.get('message') or ''}")


def result_error(result: dict[str, Any], doing: str) -> DagsterError:
    """The error a typed GraphQL result (a union member that is not the success type) holds."""
    kind = str(result.get("__typename") or "error")
    if kind == "PythonError":
        return DagsterError(f"{doing}: Dagster raised {python_error(result)}", kind=kind)
    if kind == "RunConfigValidationInvalid":
        errors = result.get("errors") or []
        lines = [config_problem(e) for e in errors] or ["(Dagster gave no reason)"]
        if len(lines) == 1:
            return DagsterError(f"{doing}: invalid run config: {lines[0]}", kind=kind)
        # One line for each error: a long config needs every path, not the first.
        head = f"{doing}: invalid run config ({len(lines)} errors):"
        return DagsterError("\n".join([head, *(f"  {line}" for line in lines)]), kind=kind)
    if kind == "PartitionKeysNotFoundError":
        keys = ", ".join(result.get("partitionKeys") or ()) or "?"
        return DagsterError(
            f"{doing}: PartitionKeyNotFound: {keys}: {one_line(result.get('message') or '')}",
            kind=kind,
        )
    if kind == "PipelineNotFoundError":
        name = result.get("pipelineName") or "?"
        return DagsterError(
            f"{doing}: no job {name!r} in that code location (is it loaded? see "
            "`marimo-tui discover`)",
            kind=kind,
        )
    if kind == "InvalidSubsetError":
        message = (result.get("message") or "").strip()
        # Dagster's message starts with the exception's qualified name; keep its last part.
        head, sep, rest = message.partition(": ")
        if sep and head.rsplit(".", 1)[-1].endswith("Error"):
            message = f"{head.rsplit('.', 1)[-1]}: {rest}"
        elif not message.startswith("DagsterInvalidSubsetError"):
            message = f"DagsterInvalidSubsetError: {message}"
        return DagsterError(f"{doing}: invalid asset selection: {one_line(message)}", kind=kind)
    if kind == "RunNotFoundError":
        return DagsterError(f"{doing}: no run {result.get('runId') or ''}".rstrip(), kind=kind)
    if kind == "UnauthorizedError":
        return DagsterError(
            f"{doing}: not authorized: {one_line(result.get('message') or '')} "
            "(check the token in dagster.token_env)",
            kind=kind,
        )
    if kind == "InvalidStepError":
        return DagsterError(f"{doing}: invalid step {result.get('invalidStepKey')!r}", kind=kind)
    if kind == "InvalidOutputError":
        return DagsterError(
            f"{doing}: invalid output {result.get('invalidOutputName')!r} of step "
            f"{result.get('stepKey')!r}",
            kind=kind,
        )
    message = one_line(result.get("message") or kind)
    return DagsterError(f"{doing}: {message}", kind=kind)
