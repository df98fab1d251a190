"""Queries on tickets and what hangs off them: messages, attachments, events."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ticketing.store import codec
from ticketing.store.sql_base import Queries, placeholders
from ticketing.types import (
    AttachmentRef,
    PendingDownload,
    StoredFile,
    Ticket,
    TicketEvent,
    TicketMessage,
)

MESSAGE_COLUMNS = """m.direction, m.channel, m.native_id, m.sender, m.body, m.original_body, m.at, m.reply_to,
    CASE WHEN o.status = 'pending' AND o.attempts = 0 AND o.next_attempt_at > o.created_at THEN 'held'
    ELSE COALESCE(o.delivery_state, o.status) END AS delivery_state, o.delivery_error, o.last_error"""
OPEN_STATUSES = ("new", "open", "waiting_on_client", "not_covered")


class TicketQueries(Queries):
    # --- tickets -----------------------------------------------------------------------------------

    async def next_ticket_number(self, prefix: str) -> str:
        """The next number in the prefix's sequence; gapless because it commits with the ticket."""
        await self._db.execute(
            "INSERT INTO counters (name, value) VALUES (?, 0) ON CONFLICT (name) DO NOTHING", [prefix]
        )
        row = await self._db.fetchone("UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value", [prefix])
        assert row is not None
        return f"{prefix}-{int(row['value']):06d}"

    async def insert_ticket(self, ticket: Ticket, now: datetime) -> int:
        values = codec.ticket_values(ticket, now)
        values["created_at"] = codec.utc_text(now)
        ticket.id = await self._insert("tickets", values)
        return ticket.id

    async def update_ticket(self, ticket: Ticket, now: datetime) -> None:
        values = codec.ticket_values(ticket, now)
        assignments = ", ".join(f"{column} = ?" for column in values)
        await self._db.execute(f"UPDATE tickets SET {assignments} WHERE id = ?", [*values.values(), ticket.id])

    async def get_ticket(self, number: str) -> Ticket | None:
        row = await self._db.fetchone("SELECT * FROM tickets WHERE number = ?", [number])
        return codec.ticket_from_row(row) if row else None

    async def find_ticket_by_message_ids(self, native_ids: Sequence[str]) -> Ticket | None:
        """The most recent ticket holding a message with one of these ids: a message's native id (in or out), or
        the channel's id for a reply we sent (a WhatsApp client quoting our message names its MessageSid)."""
        if not native_ids:
            return None
        marks = placeholders(len(native_ids))
        row = await self._db.fetchone(
            f"SELECT t.* FROM tickets t JOIN messages m ON m.ticket_id = t.id LEFT JOIN outbox o ON o.id = m.outbox_id "
            f"WHERE m.native_id IN ({marks}) OR o.provider_id IN ({marks}) ORDER BY m.id DESC LIMIT 1",
            [*native_ids, *native_ids],
        )
        return codec.ticket_from_row(row) if row else None

    async def list_tickets(self, limit: int = 100, status: str | None = None) -> list[Ticket]:
        where, params = ("WHERE status = ?", [status]) if status else ("", [])
        rows = await self._db.fetchall(f"SELECT * FROM tickets {where} ORDER BY id DESC LIMIT ?", [*params, limit])
        return [codec.ticket_from_row(row) for row in rows]

    # --- messages, attachments and events ----------------------------------------------------------

    async def add_message(
        self,
        ticket_id: int,
        message: TicketMessage,
        attachments: Sequence[AttachmentRef] = (),
        outbox_id: int | None = None,
    ) -> int:
        message_id = await self._insert(
            "messages",
            {
                "ticket_id": ticket_id,
                "direction": message.direction.value,
                "channel": message.channel,
                "native_id": message.native_id,
                "sender": message.sender,
                "body": message.body,
                "original_body": message.original_body,
                "at": codec.utc_text(message.at),
                "outbox_id": outbox_id,
                "reply_to": message.reply_to,
            },
        )
        for item in attachments:
            await self.add_attachment(message_id, item, message.at)
        return message_id

    async def messages(self, ticket_id: int) -> list[TicketMessage]:
        rows = await self._db.fetchall(
            f"SELECT {MESSAGE_COLUMNS} FROM messages m LEFT JOIN outbox o ON o.id = m.outbox_id "
            "WHERE m.ticket_id = ? ORDER BY m.id",
            [ticket_id],
        )
        return [codec.message_from_row(row) for row in rows]

    async def add_attachment(self, message_id: int, item: AttachmentRef, at: datetime) -> int:
        """Store one attachment of a message; one sent as a link is fetched later (from `at`)."""
        to_fetch = bool(item.url) and item.content is None
        return await self._insert(
            "attachments",
            {
                "message_id": message_id,
                "filename": item.filename,
                "content_type": item.content_type,
                "size": item.size,
                "sha256": item.sha256,
                "content": item.content,
                "note": item.note,
                "url": item.url,
                "fetch_status": "pending" if to_fetch else "",
                "fetch_next_at": codec.utc_text(at) if to_fetch else None,
            },
        )

    async def attachment_file(self, attachment_id: int) -> StoredFile | None:
        """One attachment with its content (None content: kept as a reference only, or not fetched)."""
        row = await self._db.fetchone(
            "SELECT a.id, t.number, a.filename, a.content_type, a.size, a.content, (SELECT COUNT(*) FROM attachments b "
            "JOIN messages n ON n.id = b.message_id WHERE n.ticket_id = t.id AND b.id <= a.id) AS position "
            "FROM attachments a JOIN messages m ON m.id = a.message_id JOIN tickets t ON t.id = m.ticket_id "
            "WHERE a.id = ?",
            [attachment_id],
        )
        if row is None:
            return None
        content = bytes(row["content"]) if row["content"] is not None else None
        return StoredFile(
            int(row["id"]),
            row["number"],
            row["filename"],
            row["content_type"],
            int(row["size"]),
            content,
            int(row["position"]),
        )

    async def attachments(self, ticket_id: int) -> list[dict[str, Any]]:
        rows = await self._db.fetchall(
            "SELECT a.id, a.filename, a.content_type, a.size, a.sha256, a.note FROM attachments a "
            "JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = ? ORDER BY a.id",
            [ticket_id],
        )
        return [dict(row) for row in rows]

    async def add_event(self, ticket_id: int, event: TicketEvent) -> int:
        return await self._insert(
            "events",
            {
                "ticket_id": ticket_id,
                "at": codec.utc_text(event.at),
                "kind": event.kind,
                "actor": event.actor,
                "data": json.dumps(event.data, default=str),
            },
        )

    async def events(self, ticket_id: int) -> list[TicketEvent]:
        rows = await self._db.fetchall("SELECT * FROM events WHERE ticket_id = ? ORDER BY id", [ticket_id])
        return [codec.event_from_row(row) for row in rows]

    # --- continuing conversations --------------------------------------------------------------------

    async def find_recent_open_ticket(self, requester: str, channel: str, since: datetime) -> Ticket | None:
        """The requester's open ticket on `channel` they last wrote to after `since` (chat channels continue it)."""
        row = await self._db.fetchone(
            f"SELECT t.* FROM tickets t JOIN messages m ON m.ticket_id = t.id "
            f"WHERE t.requester_address = ? AND t.channel = ? AND t.status IN ({placeholders(len(OPEN_STATUSES))}) "
            f"AND m.direction = 'in' AND m.at >= ? ORDER BY m.at DESC LIMIT 1",
            [requester, channel, *OPEN_STATUSES, codec.utc_text(since)],
        )
        return codec.ticket_from_row(row) if row else None

    async def last_inbound_at(self, channel: str, sender: str) -> datetime | None:
        """When `sender` last wrote to us on `channel` (WhatsApp allows free-form replies for 24 hours after)."""
        row = await self._db.fetchone(
            "SELECT MAX(at) AS at FROM messages WHERE sender = ? AND channel = ? AND direction = 'in'",
            [sender, channel],
        )
        return codec.parse_utc(row["at"]) if row else None

    # --- attachments fetched after the ack -----------------------------------------------------------

    async def due_downloads(self, now: datetime, limit: int = 10) -> list[PendingDownload]:
        return await self._due_downloads(now, limit, "")

    async def _due_downloads(self, now: datetime, limit: int, lock: str) -> list[PendingDownload]:
        rows = await self._db.fetchall(
            "SELECT a.id, a.url, a.content_type, a.fetch_attempts, a.filename, m.channel, t.number FROM attachments a "
            "JOIN messages m ON m.id = a.message_id JOIN tickets t ON t.id = m.ticket_id "
            "WHERE a.fetch_status = 'pending' AND a.fetch_next_at <= ? ORDER BY a.id LIMIT ? "
            + ("FOR UPDATE OF a SKIP LOCKED" if lock else ""),
            [codec.utc_text(now), limit],
        )
        return [
            PendingDownload(
                int(r["id"]),
                r["number"],
                r["channel"],
                r["url"],
                r["content_type"],
                int(r["fetch_attempts"]),
                r["filename"],
            )
            for r in rows
        ]

    async def next_download_due(self) -> datetime | None:
        row = await self._db.fetchone(
            "SELECT MIN(fetch_next_at) AS due FROM attachments WHERE fetch_status = 'pending'"
        )
        return codec.parse_utc(row["due"]) if row else None

    async def finish_download(self, attachment_id: int, content: bytes, content_type: str, sha256: str) -> bool:
        """Store a fetched attachment's bytes; False when it was stored already (a replica whose claim had lapsed
        fetched it too), so its event is not recorded twice."""
        row = await self._db.fetchone(
            "UPDATE attachments SET content = ?, content_type = ?, size = ?, sha256 = ?, note = '', "
            "fetch_status = 'done', fetch_attempts = fetch_attempts + 1 WHERE id = ? AND fetch_status = 'pending' "
            "RETURNING id",
            [content, content_type, len(content), sha256, attachment_id],
        )
        return row is not None

    async def claim_downloads(self, now: datetime, until: datetime, limit: int = 10) -> list[PendingDownload]:
        """The links due now, claimed until `until` (no other replica fetches them before; a claim that lapses,
        its fetcher dead, makes them due again). On PostgreSQL rows another replica is claiming are skipped."""
        due = await self._due_downloads(now, limit, self._db.row_lock)
        if due:
            ids = [download.attachment_id for download in due]
            await self._db.execute(
                f"UPDATE attachments SET fetch_next_at = ? WHERE id IN ({placeholders(len(ids))})",
                [codec.utc_text(until), *ids],
            )
        return due

    async def retry_download(self, attachment_id: int, error: str, next_at: datetime | None) -> None:
        """Try again at `next_at`, or give up for good (None): the message text is kept either way."""
        await self._db.execute(
            "UPDATE attachments SET fetch_status = ?, fetch_attempts = fetch_attempts + 1, fetch_next_at = ?, "
            "note = ? WHERE id = ?",
            ["pending" if next_at else "failed", codec.opt_utc_text(next_at), error, attachment_id],
        )

    # --- the agents' console ---------------------------------------------------------------------------

    async def set_console_thread(self, ticket_number: str, channel_id: str, thread_ts: str) -> None:
        await self._db.execute(
            "INSERT INTO console_threads (ticket_number, channel_id, thread_ts) VALUES (?, ?, ?) "
            "ON CONFLICT (ticket_number) DO UPDATE SET channel_id = excluded.channel_id, "
            "thread_ts = excluded.thread_ts",
            [ticket_number, channel_id, thread_ts],
        )

    async def console_thread(self, ticket_number: str) -> tuple[str, str] | None:
        """(channel id, parent ts) of the ticket's thread in the agents' console, once posted."""
        row = await self._db.fetchone(
            "SELECT channel_id, thread_ts FROM console_threads WHERE ticket_number = ?", [ticket_number]
        )
        return (row["channel_id"], row["thread_ts"]) if row else None

    async def ticket_for_console_thread(self, channel_id: str, thread_ts: str) -> str | None:
        row = await self._db.fetchone(
            "SELECT ticket_number FROM console_threads WHERE channel_id = ? AND thread_ts = ?", [channel_id, thread_ts]
        )
        return str(row["ticket_number"]) if row else None
