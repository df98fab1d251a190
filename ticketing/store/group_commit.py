"""Group commit: concurrent accepts queue up and are written in one transaction, each caller released after it.

Durability costs one fsync per transaction, not per message, so a burst of 200 mails costs a handful of commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommitter(Generic[Item, Result]):
    """Batches `submit()` calls; `write_batch` runs once per batch inside one transaction."""

    def __init__(self, write_batch: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]], max_batch: int = 256):
        self._write_batch = write_batch
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Item, asyncio.Future[Result]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="group-commit")

    async def stop(self) -> None:
        """Finish what is queued, then stop."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None

    async def submit(self, item: Item) -> Result:
        if self._task is None:
            raise RuntimeError("group commit is not running")
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        await self._queue.put((item, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                results = await self._write_batch([item for item, _ in batch])
            except Exception as error:  # every waiter learns the commit failed; nothing was acknowledged
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
            else:
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
            for _ in batch:
                self._queue.task_done()
