"""The inbox pipeline: committed raw messages -> read (parse + normalize) -> ticketing, after the channel's ack.

Runs from the durable inbox, so a crash between the ack and the ticket resumes on restart. A message that
cannot be parsed or normalized is quarantined with its raw bytes and the reason; a failure of the store is
retried, and quarantined after `max_attempts`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from adapters.channel import Reader
from gateway.workers.worker import Wakeup, Worker
from ticketing.ports import InboxWork, UnitOfWork
from ticketing.service import TicketService
from ticketing.store.base import StoreError
from ticketing.types import InboxItem, WrittenRequest


class InboxProcessor(Worker):
    def __init__(
        self,
        store: UnitOfWork[InboxWork],
        readers: Mapping[str, Reader],
        service: TicketService,
        clock: Callable[[], datetime],
        max_attempts: int = 5,
        retry_seconds: float = 5.0,
        on_ingested: Callable[[], None] = lambda: None,
        wakeup: Wakeup | None = None,
    ) -> None:
        self._store = store
        self._readers = readers
        self._service = service
        self._clock = clock
        self._max_attempts = max_attempts
        self._retry_seconds = retry_seconds
        self._on_ingested = on_ingested  # e.g. wake the outbox worker so the acknowledgement leaves at once
        super().__init__("inbox", error_wait=retry_seconds, wakeup=wakeup)

    async def work_pass(self) -> float:
        return 0.0 if await self.process_pending() else self._retry_seconds

    async def process_pending(self) -> int:
        """Handle every pending message once; returns how many were finished (done, ignored or quarantined)."""
        async with self._store.transaction() as tx:
            items = await tx.pending_inbox()
        return await self.each(items, self._process)

    async def _process(self, item: InboxItem) -> int:
        log = self._log.bind(inbox_id=item.id, channel=item.channel, native_id=item.native_id)
        reader = self._readers.get(item.channel)
        try:
            if reader is None:
                raise ValueError(f"no reader for channel {item.channel!r}")
            read = await reader(item)  # readers work off the event loop (a 25 MB mail must not stall it)
        except Exception as error:  # unreadable input: keep the raw bytes, say why, never drop it
            reason = f"{type(error).__name__}: {error}"
            async with self._store.transaction() as tx:
                await tx.finish_inbox(item.id, "quarantined", self._clock(), error=reason)
            log.warning("inbox.quarantined", reason=reason)
            return 1
        try:
            if isinstance(read, WrittenRequest):
                outcome = await self._service.ingest(item.id, read)  # finishes the inbox item in its transaction
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
                if attempts >= self._max_attempts:
                    await tx.finish_inbox(item.id, "quarantined", self._clock(), error=reason)
                    self._log.warning("inbox.quarantined", inbox_id=item.id, reason=reason)
                    return 1
        except Exception as store_error:  # the store itself is down: the item stays pending
            self._log.error("inbox.store_unavailable", error=str(store_error))
        return 0
