"""What every doctor check is, and the small HTTP helpers the checks share."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool | None  # None: not applicable (e.g. Dagster not configured)
    detail: str
    hint: str = ""
    blocking: bool = False

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def get_json(url: str, headers: dict[str, str] | None = None, timeout: float = 3.0) -> object:
    import httpx

    response = httpx.get(url, headers=headers, timeout=timeout)
    response.raise_for_status()
    return response.json()


def reason(exc: Exception) -> str:
    import httpx

    if isinstance(exc, httpx.ConnectError):
        return "connection refused"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return f"{type(exc).__name__}: {exc}"
