"""Attachments a channel sent as links, once fetched: stored on their message and recorded as an event on the ticket.

An attachment that arrived with its message is an `attachment` event at once (`TicketLog.message`); one sent as a
link (WhatsApp media, a relay's file URL) becomes one here, when the media worker has its bytes, so whoever follows
the ticket (the agents' console posts each client file in the ticket's thread) learns of it the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ticketing.observer import NoObserver, TicketLog, TicketObserver
from ticketing.ports import DownloadWork
from ticketing.types import AttachmentRef, PendingDownload


class FetchedAttachments:
    def __init__(self, clock: Callable[[], datetime], observer: TicketObserver | None = None) -> None:
        self._clock = clock
        self._observer = observer or NoObserver()

    async def stored(
        self, work: DownloadWork, download: PendingDownload, content: bytes, content_type: str, sha256: str
    ) -> None:
        """Store the fetched bytes and record them on the ticket, in the caller's transaction."""
        if not await work.finish_download(download.attachment_id, content, content_type, sha256):
            return  # another replica stored it already (its claim had lapsed): recorded once, by it
        ticket = await work.get_ticket(download.ticket_number)
        if ticket is None or ticket.id is None:
            return
        now = self._clock()
        log = TicketLog(work, ticket)
        item = AttachmentRef(download.filename, content_type, len(content), sha256, content)
        await log.attachment(now, "gateway", download.attachment_id, item)
        await log.tell(self._observer, now)
