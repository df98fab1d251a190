"""The inbox pipeline: committed raw messages -> read (parse + normalize) -> ticketing, after the channel's ack.

Runs from the durable inbox, so a crash between the ack and the ticket resumes on restart. A message that
cannot be parsed or normalized is quarantined with its raw bytes and the reason; a failure of the store is
retried, and quarantined after `max_attempts`.

Reads run `workers` at a time, each with a deadline: a read past it is given up (the email channel's worker process
is killed) and the item quarantined, "took longer than N s". Items are ticketed in inbox order, except that a read
still running after `patience` is passed over until it ends: one slow mail never holds back the others.

Replicas on one store split the inbox: each pass claims the oldest items no other replica is reading (`owner`, for
`claim_seconds`) and renews the claims it holds, so an item is parsed, normalized and counted by one replica; a
replica that dies leaves its claims to lapse and another reads the items. A pass ends within a third of the claim,
so a claim is renewed before it lapses. A clean stop gives its claims back; the only gateway on a SQLite file
(`sole_reader`) ends the claims of its killed predecessor when it starts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.channel import AgentCommand, Reader
from adapters.process_pool import WorkerDied
from gateway.workers.worker import Wakeup, Worker
from ticketing.ports import InboxWork, UnitOfWork
from ticketing.service import TicketService
from ticketing.store.base import StoreError
from ticketing.types import InboxItem, WrittenRequest

Read = WrittenRequest | AgentCommand


@dataclass(frozen=True)
class ReadLimits:
    max_attempts: int = 5  # failures of a read message (not of its reading) before it is quarantined
    workers: int = 2  # reads at once
    timeout: float = 30.0  # seconds one read may take
    retry_seconds: float = 5.0
    patience: float = 0.5  # how long the items behind a read wait for it before going first
    claim_seconds: float = 20.0  # how long a replica's claim on the items it reads lasts unless renewed
    # Ticket runs of requests side by side: only where the store runs their transactions one after another in
    # the order they began (SQLite's one connection); on PostgreSQL they would race for the same conversation.
    side_by_side: bool = False


class InboxProcessor(Worker):
    def __init__(
        self,
        store: UnitOfWork[InboxWork],
        readers: Mapping[str, Reader],
        service: TicketService,
        clock: Callable[[], datetime],
        limits: ReadLimits = ReadLimits(),
        on_ingested: Callable[[], None] = lambda: None,
        on_ticketed: Callable[[str, float], None] = lambda channel, seconds: None,
        wakeup: Wakeup | None = None,
        owner: str = "gateway",
        sole_reader: bool = False,
    ) -> None:
        self._store = store
        self._readers = readers
        self._service = service
        self._clock = clock
        self._limits = limits
        self._slots = asyncio.Semaphore(limits.workers)
        self._reading: dict[int, tuple[InboxItem, asyncio.Task[Read]]] = {}  # by inbox id, until ticketed
        self._passed_over: set[int] = set()  # reads that outlasted the patience once: not waited for again
        self._on_ingested = on_ingested  # e.g. wake the outbox worker so the acknowledgement leaves at once
        self._on_ticketed = on_ticketed  # a request ticketed: its channel and seconds since its commit (metrics)
        self._owner = owner  # this replica, as its read claims name it
        self._lapse_claims = sole_reader  # at the first pass: the claims of a killed predecessor end at once
        super().__init__("inbox", error_wait=limits.retry_seconds, wakeup=wakeup)

    async def work_pass(self) -> float:
        return 0.0 if await self.process_pending(self._limits.patience) else self._limits.retry_seconds

    async def run(self) -> None:
        try:
            await super().run()
        finally:  # stopping: reads in flight are abandoned (their items stay pending, read again by anyone)
            for _, task in self._reading.values():
                task.cancel()
            self._reading.clear()
            self._passed_over.clear()
            await self._release_claims()

    async def _release_claims(self) -> None:
        try:
            async with self._store.transaction() as tx:
                await tx.release_inbox_reads(self._owner)
        except Exception as error:  # the store is down: the claims lapse by themselves
            self._log.warning("inbox.claims_not_released", error=str(error))

    async def process_pending(self, patience: float | None = None) -> int:
        """Handle every pending message once; returns how many were finished (done, ignored or quarantined).

        With a `patience`, a read that outlasts it is left running and its item finished by a later pass, once it
        ends; without, every read is waited for (up to its deadline). With a `patience` the pass stops waiting after
        a third of the claim: the next pass renews the claims of the reads still running."""
        now = self._clock()
        lease = timedelta(seconds=self._limits.claim_seconds)
        try:
            async with self._store.transaction() as tx:
                if self._lapse_claims:
                    await tx.lapse_inbox_reads()
                items = await tx.claim_inbox_reads(self._owner, now, now + lease)
        except StoreError as error:  # a full disk, the database away: nothing is claimed, nothing counted
            self._log.warning("inbox.store_unavailable", error=str(error))
            return 0
        self._lapse_claims = False
        ends = time.monotonic() + self._limits.claim_seconds / 3
        for item in items:
            if item.id not in self._reading:
                self._reading[item.id] = (item, self._start_read(item))
        done, requests = 0, list[tuple[InboxItem, asyncio.Task[Read]]]()
        for item_id, (item, task) in list(self._reading.items()):
            if self.stopping:
                break
            if not task.done():
                done += await self._ingest_together(requests)
                late = patience is not None and time.monotonic() >= ends  # this pass has waited long enough
                passed_over = patience is not None and item_id in self._passed_over
                await asyncio.wait({task}, timeout=0 if passed_over or late else patience)
                if not task.done():
                    if not late:
                        self._passed_over.add(item_id)
                    continue
            del self._reading[item_id]
            self._passed_over.discard(item_id)
            if not task.cancelled() and task.exception() is None and isinstance(task.result(), WrittenRequest):
                requests.append((item, task))
            else:  # an agent's command, or a failed read: after the requests before it, on its own
                done += await self._ingest_together(requests) + await self._process(item, task)
        return done + await self._ingest_together(requests)

    async def _ingest_together(self, requests: list[tuple[InboxItem, asyncio.Task[Read]]]) -> int:
        """Ticket a run of read requests, one after another or (`side_by_side`) at once: their transactions then
        start in inbox order and share commits (one fsync for the run, not one each). Empties `requests`."""
        running = list(requests)
        requests.clear()
        if not self._limits.side_by_side:
            return sum([await self._process(item, task) for item, task in running])
        return sum(await asyncio.gather(*(self._process(item, task) for item, task in running)))

    def _start_read(self, item: InboxItem) -> asyncio.Task[Read]:
        task = asyncio.create_task(self._read(item))
        task.add_done_callback(lambda _: self.notify())  # a read that was passed over is finished at once
        return task

    async def _read(self, item: InboxItem) -> Read:
        reader = self._readers.get(item.channel)
        if reader is None:
            raise ValueError(f"no reader for channel {item.channel!r}")
        async with self._slots:  # the deadline counts from here: waiting for a slot is not reading
            return await asyncio.wait_for(reader(item), self._limits.timeout)

    async def _process(self, item: InboxItem, reading: asyncio.Task[Read]) -> int:
        log = self._log.bind(inbox_id=item.id, channel=item.channel, native_id=item.native_id)
        try:
            read = reading.result()
        except WorkerDied as error:  # not the message's fault as far as we know: read it again, a few times
            return await self._count_failure(item, error)
        except Exception as error:  # unreadable input: keep the raw bytes, say why, never drop it
            reason = f"{type(error).__name__}: {error}"
            if isinstance(error, TimeoutError):
                reason = f"took longer than {self._limits.timeout:g} s to read"
            async with self._store.transaction() as tx:
                await tx.finish_inbox(item.id, "quarantined", self._clock(), error=reason)
            log.warning("inbox.quarantined", reason=reason)
            return 1
        try:
            if isinstance(read, WrittenRequest):
                outcome = await self._service.ingest(item.id, read)  # finishes the inbox item in its transaction
                self._on_ticketed(item.channel, (self._clock() - item.received_at).total_seconds())
            else:
                outcome = await read.run()  # idempotent: a crash before the line below only repeats it
                async with self._store.transaction() as tx:
                    status = "ignored" if outcome.action == "ignored" else "done"
                    await tx.finish_inbox(item.id, status, self._clock(), outcome.ticket_number, outcome.reason)
        except StoreError as error:  # not the message's fault: it stays pending, attempts are not counted
            log.warning("inbox.store_unavailable", error=str(error))
            return 0
        except Exception as error:  # e.g. a template an admin broke: retried, then quarantined, visible
            return await self._count_failure(item, error)
        self._on_ingested()
        log.info("inbox.processed", action=outcome.action, ticket=outcome.ticket_number, reason=outcome.reason)
        return 1

    async def _count_failure(self, item: InboxItem, error: Exception) -> int:
        reason = f"{type(error).__name__}: {error}"
        self._log.error("inbox.failed", inbox_id=item.id, error=reason, attempt=item.attempts + 1)
        try:
            async with self._store.transaction() as tx:
                attempts = await tx.count_inbox_attempt(item.id, reason)
                if attempts >= self._limits.max_attempts:
                    await tx.finish_inbox(item.id, "quarantined", self._clock(), error=reason)
                    self._log.warning("inbox.quarantined", inbox_id=item.id, reason=reason)
                    return 1
        except Exception as store_error:  # the store itself is down: the item stays pending
            self._log.error("inbox.store_unavailable", error=str(store_error))
        return 0
