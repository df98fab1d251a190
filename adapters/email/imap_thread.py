"""The one worker thread each IMAP mailbox runs its blocking calls in, and the stop signal that cuts its waits.

A dedicated thread per mailbox, not the event loop's shared default executor: an idling mailbox occupies its
thread for good, and a few of them would otherwise fill the shared pool and stall every other `to_thread` user.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class SessionThread:
    """Runs blocking calls one at a time in its own thread; `stop()` may come from any thread, even before
    `start()`, and wakes `pause()` and `call_unless_stopped()` at once."""

    def __init__(self, name: str) -> None:
        self._name = name
        self.stopping = threading.Event()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._executor: ThreadPoolExecutor | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"imap-{self._name}")
        if self.stopping.is_set():
            self._wake.set()

    def stop(self) -> None:
        self.stopping.set()
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    def close(self) -> None:
        """Release the thread once the call in progress (if any) returns."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        assert self._loop is not None, "start() first"
        return await self._loop.run_in_executor(self._executor, functools.partial(function, *args))

    async def call_unless_stopped(
        self, function: Callable[..., T], *args: Any, discard: Callable[[T], None]
    ) -> T | None:
        """`call()`, but None at once on `stop()`; a result that arrives after that is passed to `discard`."""
        assert self._loop is not None, "start() first"
        running = self._loop.run_in_executor(self._executor, functools.partial(function, *args))
        stopped: asyncio.Future[Any] = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait([running, stopped], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not running.done():
                running.add_done_callback(lambda late: _discard(late, discard))
        return running.result() if running.done() else None

    async def pause(self, seconds: float) -> None:
        """Sleep, but wake at once on `stop()`."""
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass


def _discard(late: asyncio.Future[T], discard: Callable[[T], None]) -> None:
    if not late.cancelled() and late.exception() is None:
        discard(late.result())
