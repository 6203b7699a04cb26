"""Background tasks that must not die quietly: a failure is told once, the task goes on after a
growing pause, and the first success after failures is told too.

Imports nothing of the project: the Dagster poller and the TUI's flows both use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

# (task name, one-line error or None when it works again)
HealthListener = Callable[[str, str | None], None]


def error_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Streak:
    """The failures of one task in a row. `failed` gives the pause before the next try and
    tells the listener at the first failure only; `succeeded` tells it the streak is over."""

    def __init__(
        self,
        name: str,
        listener: HealthListener | None = None,
        *,
        first: float = 1.0,
        most: float = 30.0,
    ) -> None:
        self.name = name
        self.listener = listener
        self.first = first
        self.most = most
        self.failures = 0
        self.error = ""

    @property
    def failing(self) -> bool:
        return self.failures > 0

    def failed(self, exc: BaseException) -> float:
        self.failures += 1
        self.error = error_line(exc)
        log.error("%s failed (%d in a row)", self.name, self.failures, exc_info=exc)
        if self.failures == 1:
            self._tell(self.error)
        pause: float = min(self.first * 2.0 ** min(self.failures - 1, 10), self.most)
        return pause

    def succeeded(self) -> None:
        if self.failures:
            self.failures, self.error = 0, ""
            self._tell(None)

    def _tell(self, error: str | None) -> None:
        if self.listener is None:
            return
        try:
            self.listener(self.name, error)
        except Exception:  # a broken listener must not take the task down with it
            log.exception("the health listener of %s failed", self.name)


async def forever(step: Callable[[], Awaitable[float]], streak: Streak) -> None:
    """Run `step` again and again; it returns the pause before the next call. An exception in
    it is the streak's failure and the pause grows; cancelling is the only way out."""
    while True:
        try:
            pause = await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            pause = streak.failed(exc)
        else:
            streak.succeeded()
        await asyncio.sleep(pause)


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
