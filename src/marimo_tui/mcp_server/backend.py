"""What the MCP server serves from: the project's cell tools, either run here (headless, with a
sidecar of our own) or handed to the open workbench over its local socket (attached).

The MCP server (`mcp_server.server`) is written against this protocol only, so the same server
serves both ways and an outside agent cannot tell them apart except by what the workbench shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from marimo_tui.agent.providers.base import ToolSpec

SOCKET_NAME = "workbench.sock"


def socket_path(root: Path) -> Path:
    """Where an open workbench listens for outside agents: owner-only, under `.marimo-tui/`."""
    return root / ".marimo-tui" / SOCKET_NAME


@dataclass(frozen=True)
class CallResult:
    """One tool call's answer: the text an agent acts on and the same as structured content."""

    text: str
    data: dict[str, Any] = field(default_factory=dict)
    is_error: bool = False


@dataclass(frozen=True)
class NotebookResource:
    """A notebook offered as an MCP resource, named by its project-relative path."""

    path: str  # relative to the project root
    title: str


class ToolBackend(Protocol):
    """The cell tools of one project, for one outside client."""

    async def list_tools(self) -> list[ToolSpec]: ...

    async def call(self, name: str, arguments: dict[str, Any]) -> CallResult: ...

    async def notebooks(self) -> list[NotebookResource]: ...

    async def read_notebook(self, path: str) -> str:
        """The notebook's cells as text, as the cell view shows them (names, #N, code, status)."""
        ...

    async def close(self) -> None: ...


class BackendSource(Protocol):
    """Where the MCP server gets one `ToolBackend` per client: the headless project, or the
    open workbench. Each client (the stdio peer, each HTTP session) gets its own, opened on
    its first request and named by the client's `clientInfo.name` (e.g. "claude-code"), so
    its turns and what it has read are its own."""

    async def open(self, label: str) -> ToolBackend: ...

    async def close(self) -> None:
        """Close every backend opened, and what serves them (the headless sidecar)."""
        ...
