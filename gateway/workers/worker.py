"""The loop every background worker runs (`Worker`), and its doorbell (`Wakeup`): whoever commits work rings it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import TypeVar

import structlog

Item = TypeVar("Item")


class Wakeup:
    """`notify()` wakes a worker before its timer, `stop()` lets it finish and return."""

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


class Worker:
    """Runs `work_pass()` again and again: at once when notified, else after the wait the pass returns.

    A pass that fails (the store is unreachable) is logged and retried after `error_wait` seconds: nothing it
    was working on is lost, because all state lives in the store.
    """

    def __init__(self, name: str, error_wait: float, wakeup: Wakeup | None = None) -> None:
        self._name = name
        self._error_wait = error_wait
        self._wakeup = wakeup or Wakeup()  # shared with whoever commits its work, when that exists first
        self._log = structlog.get_logger(f"gateway.{name}")

    @property
    def name(self) -> str:
        return self._name

    @property
    def stopping(self) -> bool:
        return self._wakeup.stopping

    def notify(self) -> None:
        """New work was committed: do it now rather than at the next timer."""
        self._wakeup.notify()

    def stop(self) -> None:
        """Finish the item in hand, then return from `run()`."""
        self._wakeup.stop()

    async def work_pass(self) -> float:
        """Do what is due; return how long to wait before the next pass if nothing wakes the worker."""
        raise NotImplementedError

    async def each(self, items: Iterable[Item], handle: Callable[[Item], Awaitable[int]]) -> int:
        """Handle the items in order, until asked to stop; the sum of what `handle` returned (how many it finished)."""
        done = 0
        for item in items:
            if self.stopping:
                break
            done += await handle(item)
        return done

    @staticmethod
    def wait_for_due(next_due: datetime | None, now: datetime, idle: float) -> float:
        """Seconds until the next item is due, at most `idle` (and `idle` when nothing is waiting)."""
        if next_due is None:
            return idle
        return min(idle, max(0.0, (next_due - now).total_seconds()))

    async def run(self) -> None:
        while not self._wakeup.stopping:
            self._wakeup.begin_pass()
            try:
                wait = await self.work_pass()
            except Exception as error:
                self._log.error(f"{self._name}.unavailable", error=f"{type(error).__name__}: {error}")
                wait = self._error_wait
            await self._wakeup.sleep(wait)
