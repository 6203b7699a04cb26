"""Textual's Linux driver, made to let go of a terminal that has gone away.

Closing the terminal (an SSH drop, tmux `kill-session`) hangs the pty up: the kernel sends the
workbench SIGHUP *and* SIGCONT. Textual's driver takes any SIGCONT as the end of a Ctrl+Z
suspend and starts application mode again, with a second writer thread; that thread dies on its
first write to the dead pty (EIO), its queue fills (30 writes), and the next write — restoring
the terminal while the app exits — waits forever on the full queue. The process then sits in a
futex wait for good, its pty deleted.

So here: SIGCONT resumes only after our own suspend, and a write never waits on a writer thread
that has stopped (what it would write has nowhere to go).
"""

from __future__ import annotations

import queue
from typing import Any

from textual.drivers.linux_driver import LinuxDriver

PUT_POLL = 0.1  # s between checks that the writer thread still runs while its queue is full
JOIN_TIMEOUT = 1.0  # s to let the writer flush what is left when the app closes


class WorkbenchDriver(LinuxDriver):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._suspended = False
        super().__init__(*args, **kwargs)

    def _sigtstp_application(self, *args: Any) -> None:
        self._suspended = True
        super()._sigtstp_application(*args)

    def _sigcont_application(self, *args: Any) -> None:
        # A hangup's SIGCONT (no suspend before it) must not restart application mode.
        if self._suspended:
            self._suspended = False
            super()._sigcont_application(*args)

    def write(self, data: str) -> None:
        self._put(data)

    def close(self) -> None:
        writer = self._writer_thread
        if writer is not None and self._put(None):
            writer.join(JOIN_TIMEOUT)

    def _put(self, item: str | None) -> bool:
        """Queue `item` for the writer thread; False (dropped) once that thread has stopped."""
        writer = self._writer_thread
        assert writer is not None, "Driver must be in application mode"
        waiting: queue.Queue[str | None] = writer._queue
        while writer.is_alive():
            try:
                waiting.put(item, timeout=PUT_POLL)
            except queue.Full:
                continue
            return True
        return False
