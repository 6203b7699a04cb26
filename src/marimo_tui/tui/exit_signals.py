"""SIGHUP, SIGTERM or SIGINT end the workbench within a bound, at any moment of its start.

The app leaves as from ctrl+q (terminal restored, marimo server stopped) when it can. It cannot
when its loop is busy: a lazy import on the loop thread (httpx, websockets) can take a second on
a loaded machine while another thread imports marimo, and the loop runs no signal callback until
it is done (`loop.add_signal_handler` only wakes the loop). So the handler here is a plain
Python one — it runs in the main thread between two bytecodes, imports included — that asks the
loop to exit and arms a deadline: past it, the process ends by the signal itself. The marimo
server then goes too (its parent-death signal); the files are safe against a kill by design
(atomic landing, journal).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

EXIT_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
DEADLINE = 1.5  # s from the signal to the end of the process, whatever the app is doing


class ExitSignals:
    """Installed around the app's run: `received` is the signal that ended it, if one did."""

    def __init__(self, loop: asyncio.AbstractEventLoop, leave: Callable[[], None]) -> None:
        self.loop = loop
        self.leave = leave  # asks the app to exit (called on the loop)
        self.received: int | None = None

    def __enter__(self) -> ExitSignals:
        for sig in EXIT_SIGNALS:
            signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig in EXIT_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        if self.received is not None:
            die_by(self.received)

    def _handle(self, sig: int, frame: FrameType | None) -> None:
        if self.received is not None:  # a second signal: no more waiting
            die_by(sig)
        self.received = sig
        deadline = threading.Timer(DEADLINE, die_by, (sig,))
        deadline.daemon = True
        deadline.start()
        try:
            self.loop.call_soon_threadsafe(self.leave)
        except RuntimeError:  # the loop is closed: nothing left to leave gracefully
            die_by(sig)


def die_by(sig: int) -> None:
    """End the process by `sig`, so its parent sees how it ended — without waiting for worker
    threads (one may be importing marimo for seconds; what it computes is not needed)."""
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    if threading.current_thread() is not threading.main_thread():
        os._exit(128 + sig)  # the deadline's thread: only the main thread may reset handlers
    signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
    os.kill(os.getpid(), sig)
    os._exit(128 + sig)  # not reached: the default action of these signals ends the process
