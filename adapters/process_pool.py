"""Pure functions run in worker processes that can be killed: the email reader's parse + normalize.

A crafted mail can make a parser slow, and a thread cannot be stopped. Here each call runs in a pebble worker
process (spawned, so nothing of the gateway's state is shared). A call that is cancelled (its reader gave up at the
deadline) or that outlives `timeout` has its worker terminated and replaced; a worker that dies under a call (an OOM
kill) is replaced and the call raises `WorkerDied`, so the caller can retry it; if the pool itself breaks (every
worker killed at once, even before the call reached one), the call raises `WorkerDied` too and the next call builds
a new pool. `health()` is what /healthz shows.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

Result = TypeVar("Result")


class WorkerDied(Exception):
    """The worker process running a call ended abnormally; the call did not finish and may be tried again."""


class ReadPool:
    def __init__(self, workers: int, timeout: float) -> None:
        self._workers = workers
        self._timeout = timeout
        self._pool: ProcessPool | None = None
        self._counts = {"calls": 0, "timeouts": 0, "given_up": 0, "worker_deaths": 0, "rebuilds": 0}

    def _running_pool(self) -> ProcessPool:
        if self._pool is not None and not self._pool.active:
            self._pool.stop()  # every worker died at once: pebble marks the pool broken; start a new one
            self._pool = None
            self._counts["rebuilds"] += 1
        if self._pool is None:
            self._pool = ProcessPool(max_workers=self._workers, context=multiprocessing.get_context("spawn"))
        return self._pool

    async def run(self, function: Callable[..., Result], *args: Any) -> Result:
        """`function(*args)` in a worker; TimeoutError past the deadline, `WorkerDied` if its worker died."""
        self._counts["calls"] += 1
        future = self._running_pool().schedule(function, args=args, timeout=self._timeout)
        try:
            return await asyncio.wrap_future(future)  # cancelling this cancels the call and kills its worker
        except TimeoutError:
            self._counts["timeouts"] += 1
            raise
        except asyncio.CancelledError:  # the caller's deadline: pebble stops the worker and starts another
            self._counts["given_up"] += 1
            raise
        except ProcessExpired as error:
            self._counts["worker_deaths"] += 1
            raise WorkerDied(f"the reading process ended abnormally (exit code {error.exitcode})") from None
        except BrokenProcessPool as error:  # every worker died before one took the call: not the mail's fault
            self._counts["worker_deaths"] += 1
            raise WorkerDied(f"the reading process ended abnormally (every worker: {error})") from None

    def health(self) -> dict[str, Any]:
        state = "idle" if self._pool is None else "ok" if self._pool.active else "broken (rebuilt on the next read)"
        return {"state": state, "workers": self._workers, **self._counts}

    async def close(self) -> None:
        """Stop the workers without waiting for what they are reading (it stays pending in the inbox)."""
        if self._pool is not None:
            self._pool.stop()
            await asyncio.to_thread(self._pool.join)
