"""Fetches attachments that a channel sent as links (WhatsApp media), after the ack, from the durable store.

The message's text is already on its ticket; a fetched file is an `attachment` event on it (the agents' console posts
it in the ticket's thread); a failed download is retried with the outbox's backoff and, when it
cannot succeed, the attachment keeps a note saying why — the message is never lost for want of its media.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from adapters.channel import Fetcher, PermanentFailure, TemporaryFailure
from gateway.workers.outbox import RetryPolicy
from gateway.workers.worker import Worker
from ticketing.attachments import FetchedAttachments
from ticketing.ports import DownloadWork, UnitOfWork
from ticketing.types import PendingDownload

# How long a replica's claim on the links it fetches lasts: a fetch (far shorter, its own timeout) never outlives
# it, and a claim whose fetcher died lapses so another replica fetches the link.
CLAIM = timedelta(minutes=5)


class MediaWorker(Worker):
    def __init__(
        self,
        store: UnitOfWork[DownloadWork],
        fetchers: Mapping[str, Fetcher],
        policy: RetryPolicy,
        clock: Callable[[], datetime],
        rng: random.Random | None = None,
        idle_seconds: float = 60.0,
        fetched: FetchedAttachments | None = None,
        on_stored: Callable[[], None] | None = None,
    ) -> None:
        self._on_stored = on_stored  # rings the outbox: a stored file may have something to post
        super().__init__("media", error_wait=policy.base_delay)
        self._fetched = fetched or FetchedAttachments(clock)  # each file fetched is an event on its ticket
        self._store = store
        self._fetchers = fetchers
        self._policy = policy
        self._clock = clock
        self._rng = rng or random.Random()
        self._idle = idle_seconds

    async def work_pass(self) -> float:
        async with self._store.transaction() as tx:
            now = self._clock()
            due = await tx.claim_downloads(now, now + CLAIM)  # no other replica fetches these meanwhile
        await self.each(due, self._fetch)
        async with self._store.transaction() as tx:
            next_due = await tx.next_download_due()
        return self.wait_for_due(next_due, self._clock(), self._idle)

    async def _fetch(self, download: PendingDownload) -> int:
        """Fetch one link; 1 when its bytes are stored, 0 when it is retried later or given up."""
        log = self._log.bind(ticket=download.ticket_number, attachment_id=download.attachment_id)
        attempt = download.attempts + 1
        fetcher = self._fetchers.get(download.channel)
        try:
            if fetcher is None:
                raise PermanentFailure(f"no media fetcher for channel {download.channel!r}")
            content, content_type = await fetcher(download.url)
        except PermanentFailure as failure:
            await self._retry(download, f"download failed: {failure.reason}", None)
            log.error("media.failed", error=failure.reason)
            return 0
        except (TemporaryFailure, Exception) as failure:  # network trouble, 5xx, or a bug: try again later
            reason = failure.reason if isinstance(failure, TemporaryFailure) else f"{type(failure).__name__}: {failure}"
            retry_after = failure.retry_after if isinstance(failure, TemporaryFailure) else None
            next_at = None
            if attempt < self._policy.max_attempts:
                next_at = self._clock() + timedelta(seconds=self._policy.delay(attempt, retry_after, self._rng))
            await self._retry(download, f"download failed ({attempt} attempts): {reason}", next_at)
            log.warning("media.retry", attempt=attempt, error=reason, gave_up=next_at is None)
            return 0
        digest = hashlib.sha256(content).hexdigest()
        async with self._store.transaction() as tx:
            await self._fetched.stored(tx, download, content, content_type or download.content_type, digest)
        log.info("media.stored", size=len(content), content_type=content_type)
        if self._on_stored is not None:
            self._on_stored()
        return 1

    async def _retry(self, download: PendingDownload, note: str, next_at: datetime | None) -> None:
        async with self._store.transaction() as tx:
            await tx.retry_download(download.attachment_id, note, next_at)
