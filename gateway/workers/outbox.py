"""The outbox worker: delivers queued replies through each channel's sender, at least once.

It owns the retry policy: exponential backoff with full jitter, the peer's `Retry-After` when given,
`dead` after `max_attempts` or at once on a permanent failure. Dead replies stay visible
(`gateway outbox list --failed`) until someone retries them (`gateway outbox retry ID`).

Each pass claims the replies it sends (`claim_outbox`, a lease of `lease_seconds` in the worker's name), so
replicas on one database never send a reply at the same time; a send is cut off well inside its lease. A process
that dies mid-send leaves its claim to lapse: the reply is sent again, logged as `outbox.resend_unknown_outcome` and
counted in `gateway_outbox_unknown_outcomes`, since the client may now have it twice. A sender that can look
(`FindsSent`: Slack, whose posts carry the reply's key) is asked first, and a reply found there is marked sent
without sending it again (`outbox.found_sent`). On SQLite the gateway is the only sender, so it lapses every claim it
finds when it starts (`sole_sender`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from adapters.channel import FindsSent, PermanentFailure, Sender, TemporaryFailure
from gateway.workers.worker import Wakeup, Worker
from ticketing.deliveries import Deliveries
from ticketing.ports import OutboxWork, UnitOfWork
from ticketing.types import OutboundReply, OutboxItem


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: float = 5.0
    max_delay: float = 900.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds before attempt `attempt + 1`: the peer's Retry-After, else backoff with full jitter."""
        if retry_after is not None:  # the peer knows best: never retry sooner than it asked
            return max(retry_after, 0.0)
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return rng.uniform(ceiling / 2, ceiling)


class OutboxWorker(Worker):
    def __init__(
        self,
        store: UnitOfWork[OutboxWork],
        senders: Mapping[str, Sender],
        policy: RetryPolicy,
        clock: Callable[[], datetime],
        deliveries: Deliveries,
        rng: random.Random | None = None,
        idle_seconds: float = 30.0,
        wakeup: Wakeup | None = None,
        concurrency: int = 8,
        lease_seconds: float = 120.0,
        owner: str | None = None,
        sole_sender: bool = False,
        on_attempt: Callable[[OutboundReply, str, float | None], None] = lambda reply, result, seconds: None,
    ) -> None:
        self._store = store
        self._on_attempt = on_attempt  # each attempt's result (sent, retry, dead) and, sent, seconds since queued
        self._senders = senders
        self._policy = policy
        self._clock = clock
        self._rng = rng or random.Random()
        self._idle = idle_seconds
        self._deliveries = deliveries  # each final result is an event on the ticket
        self._concurrency = concurrency  # replies of different conversations sent at the same time
        self._lease = timedelta(seconds=lease_seconds)
        self._send_limit = lease_seconds * 0.75  # a send ends (as a temporary failure) before its claim can lapse
        self._owner = owner or f"outbox:{random.getrandbits(32):08x}"  # the gateway passes its replica name
        # The only gateway sending from this store (SQLite): claims found at its start were its predecessor's.
        self._lapse_claims = sole_sender
        super().__init__("outbox", error_wait=policy.base_delay, wakeup=wakeup)

    async def work_pass(self) -> float:
        if self._lapse_claims:
            async with self._store.transaction() as tx:
                await tx.lapse_outbox_claims()
            self._lapse_claims = False
        await self.deliver_due()
        return await self._seconds_until_next()

    async def _seconds_until_next(self) -> float:
        async with self._store.transaction() as tx:
            next_due = await tx.next_outbox_due()
        return self.wait_for_due(next_due, self._clock(), self._idle)

    async def deliver_due(self) -> int:
        """One pass over the replies that are due; returns how many were sent.

        The pass claims at most one reply per conversation (see `due_outbox`), so they go out side by side, up to
        `concurrency` at a time: a thousand new tickets' console threads do not wait for each other. Claims not
        attempted (the worker is stopping) are given back."""
        now = self._clock()
        async with self._store.transaction() as tx:
            items = await tx.claim_outbox(now, self._owner, now + self._lease, limit=max(20, self._concurrency * 4))
        slots = asyncio.Semaphore(self._concurrency)
        skipped: list[int] = []

        async def deliver(item: OutboxItem) -> int:
            async with slots:
                if self.stopping:
                    skipped.append(item.id)
                    return 0
                return await self._deliver(item)

        sent = sum(await asyncio.gather(*(deliver(item) for item in items)))
        if skipped:
            async with self._store.transaction() as tx:
                await tx.release_outbox(skipped)
        return sent

    async def _send(self, sender: Sender, item: OutboxItem) -> str | None:
        """Send one reply; one of unknown outcome is first looked for where the sender can look."""
        if item.outcome_unknown and isinstance(sender, FindsSent):
            found = await sender.find_sent(item.reply)
            if found:
                self._log.info("outbox.found_sent", outbox_id=item.id, ticket=item.reply.ticket_number)
                return found
        return await sender.send(item.reply)

    async def _deliver(self, item: OutboxItem) -> int:
        reply = item.reply
        log = self._log.bind(outbox_id=item.id, ticket=reply.ticket_number, channel=reply.channel, kind=reply.kind)
        attempt = item.attempts + 1
        sender = self._senders.get(reply.channel)
        status, error, next_at, provider_id = "sent", "", None, None
        if item.outcome_unknown:
            log.warning("outbox.resend_unknown_outcome", attempt=attempt)
        try:
            if sender is None:
                raise PermanentFailure(f"no sender configured for channel {reply.channel!r}")
            try:
                async with asyncio.timeout(self._send_limit):
                    provider_id = await self._send(sender, item)
            except TimeoutError:
                raise TemporaryFailure(f"no answer from the channel within {self._send_limit:g} s") from None
        except PermanentFailure as failure:
            status, error = "dead", failure.reason
        except TemporaryFailure as failure:
            status, error = "pending", failure.reason
            delay = self._policy.delay(attempt, failure.retry_after, self._rng)
            next_at = self._clock() + timedelta(seconds=delay)
        except Exception as failure:  # a bug in a sender must not stop the worker: treat it as temporary
            status, error = "pending", f"{type(failure).__name__}: {failure}"
            next_at = self._clock() + timedelta(seconds=self._policy.delay(attempt, None, self._rng))
        if status == "pending" and attempt >= self._policy.max_attempts:
            status = "dead"
        async with self._store.transaction() as tx:
            await tx.mark_outbox(item.id, status, self._clock(), error, next_at)
            if provider_id:
                await tx.set_provider_id(item.id, provider_id)
            await self._deliveries.attempted(tx, item, status, error)
        waited = (self._clock() - item.created_at).total_seconds() if status == "sent" else None
        self._on_attempt(reply, "retry" if status == "pending" else status, waited)
        if status == "sent":
            log.info("outbox.sent", attempt=attempt, provider_id=provider_id)
        elif status == "dead":
            log.error("outbox.dead", attempt=attempt, error=error)
        else:
            log.warning(
                "outbox.retry", attempt=attempt, error=error, next_attempt_at=next_at.isoformat() if next_at else None
            )
        return 1 if status == "sent" else 0
