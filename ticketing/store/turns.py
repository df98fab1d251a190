"""Turns on SQLite's one connection: intake first, then everyone else, each in the order they came.

A webhook waits for its message's commit before it answers, so the intake's units of work go before the
pipeline's (a run of fifty tickets would otherwise make a burst of webhooks wait behind it). Like `asyncio.Lock`,
but with two queues; a waiter cancelled after its turn came passes the turn on.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Turns:
    def __init__(self) -> None:
        self._taken = False
        self._queues: dict[bool, deque[asyncio.Future[None]]] = {True: deque(), False: deque()}  # by urgency

    @property
    def waiting(self) -> int:
        return sum(1 for queue in self._queues.values() for future in queue if not future.done())

    @property
    def waiting_urgent(self) -> int:
        return sum(1 for future in self._queues[True] if not future.done())

    async def take(self, urgent: bool = False) -> None:
        """Wait for the connection; urgent takers go before the others."""
        if not self._taken and not self.waiting:
            self._taken = True
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._queues[urgent]
        queue.append(future)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # the turn came just as the taker gave up: pass it on
                self.give()
            raise
        finally:
            if future in queue:
                queue.remove(future)

    def give(self) -> None:
        """End this turn: the next urgent taker's, else the next other's, else nobody's."""
        for urgent in (True, False):
            for future in self._queues[urgent]:
                if not future.done():
                    future.set_result(None)  # `_taken` stays: the turn passes on directly
                    return
        self._taken = False
