"""A background worker's doorbell: `notify()` wakes it before its timer, `stop()` lets it finish and return."""

from __future__ import annotations

import asyncio


class Wakeup:
    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.stopping = False

    def notify(self) -> None:
        self._event.set()

    def stop(self) -> None:
        self.stopping = True
        self._event.set()

    def begin_pass(self) -> None:
        """Call before each pass over the work: a notify() that arrives during the pass is kept for the next."""
        self._event.clear()

    async def sleep(self, seconds: float) -> None:
        """Wait up to `seconds`, or less if notified or stopping."""
        if self.stopping or seconds <= 0:
            return
        try:
            await asyncio.wait_for(self._event.wait(), timeout=seconds)
        except TimeoutError:
            pass
