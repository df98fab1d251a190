"""One unit of work over the store, in portable SQL shared by every backend.

A backend supplies a `SqlRunner` (three async calls with `?` placeholders) bound to an open transaction;
`StoreTransaction` holds all the queries, so SQLite and PostgreSQL behave the same by construction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from ticketing.store import codec
from ticketing.types import (
    AttachmentRef,
    InboxItem,
    OutboundReply,
    OutboxItem,
    Ticket,
    TicketEvent,
    TicketMessage,
)


class SqlRunner(Protocol):
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> codec.Row | None: ...

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[codec.Row]: ...


MESSAGE_COLUMNS = """m.direction, m.channel, m.native_id, m.sender, m.body, m.original_body, m.at,
    o.status AS delivery_state"""


def _placeholders(count: int) -> str:
    return ", ".join("?" for _ in range(count))


class StoreTransaction:
    """Every query the core needs, run inside the transaction the backend opened."""

    def __init__(self, runner: SqlRunner) -> None:
        self._db = runner

    async def _insert(self, table: str, values: dict[str, Any]) -> int:
        columns = ", ".join(values)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({_placeholders(len(values))}) RETURNING id"
        row = await self._db.fetchone(sql, list(values.values()))
        assert row is not None
        return int(row["id"])

    # --- inbox -------------------------------------------------------------------------------------

    async def insert_inbox(
        self, channel: str, native_id: str, raw: bytes, meta: dict[str, Any], received_at: datetime
    ) -> tuple[int, bool]:
        """Insert a raw message unless (channel, native_id) is already there; returns (id, duplicate)."""
        row = await self._db.fetchone(
            "INSERT INTO inbox (channel, native_id, received_at, raw, meta, status) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (channel, native_id) DO NOTHING RETURNING id",
            [channel, native_id, codec.utc_text(received_at), raw, json.dumps(meta), "pending"],
        )
        if row is not None:
            return int(row["id"]), False
        existing = await self._db.fetchone(
            "SELECT id FROM inbox WHERE channel = ? AND native_id = ?", [channel, native_id]
        )
        assert existing is not None
        return int(existing["id"]), True

    async def pending_inbox(self, limit: int = 50) -> list[InboxItem]:
        rows = await self._db.fetchall("SELECT * FROM inbox WHERE status = 'pending' ORDER BY id LIMIT ?", [limit])
        return [codec.inbox_from_row(row) for row in rows]

    async def inbox_items(self, status: str, limit: int = 100) -> list[InboxItem]:
        rows = await self._db.fetchall("SELECT * FROM inbox WHERE status = ? ORDER BY id LIMIT ?", [status, limit])
        return [codec.inbox_from_row(row) for row in rows]

    async def get_inbox(self, inbox_id: int) -> InboxItem | None:
        row = await self._db.fetchone("SELECT * FROM inbox WHERE id = ?", [inbox_id])
        return codec.inbox_from_row(row) if row else None

    async def requeue_inbox(self, inbox_id: int) -> bool:
        """Send a quarantined or ignored message through the pipeline again (e.g. after a fix)."""
        row = await self._db.fetchone(
            "UPDATE inbox SET status = 'pending', attempts = 0 WHERE id = ? AND status IN ('quarantined', 'ignored') "
            "RETURNING id",
            [inbox_id],
        )
        return row is not None

    async def finish_inbox(
        self, inbox_id: int, status: str, now: datetime, ticket_number: str | None = None, error: str = ""
    ) -> None:
        """Mark an inbox item done, quarantined or ignored (with the reason)."""
        await self._db.execute(
            "UPDATE inbox SET status = ?, processed_at = ?, ticket_number = ?, error = ? WHERE id = ?",
            [status, codec.utc_text(now), ticket_number, error, inbox_id],
        )

    async def count_inbox_attempt(self, inbox_id: int, error: str) -> int:
        await self._db.execute("UPDATE inbox SET attempts = attempts + 1, error = ? WHERE id = ?", [error, inbox_id])
        row = await self._db.fetchone("SELECT attempts FROM inbox WHERE id = ?", [inbox_id])
        return int(row["attempts"]) if row else 0

    # --- IMAP mailboxes --------------------------------------------------------------------------------

    async def get_mailbox_state(self, mailbox: str) -> tuple[int, int] | None:
        """(UIDVALIDITY, last UID processed) of a mailbox, or None if never read."""
        row = await self._db.fetchone("SELECT uidvalidity, last_uid FROM mailbox_state WHERE mailbox = ?", [mailbox])
        return (int(row["uidvalidity"]), int(row["last_uid"])) if row else None

    async def set_mailbox_state(self, mailbox: str, uidvalidity: int, last_uid: int, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, "
            "updated_at = excluded.updated_at",
            [mailbox, uidvalidity, last_uid, codec.utc_text(now)],
        )

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
        """The most recent ticket holding a message (in or out) with one of these native ids."""
        if not native_ids:
            return None
        row = await self._db.fetchone(
            f"SELECT t.* FROM tickets t JOIN messages m ON m.ticket_id = t.id "
            f"WHERE m.native_id IN ({_placeholders(len(native_ids))}) ORDER BY m.id DESC LIMIT 1",
            list(native_ids),
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
            },
        )
        for item in attachments:
            await self._insert(
                "attachments",
                {
                    "message_id": message_id,
                    "filename": item.filename,
                    "content_type": item.content_type,
                    "size": item.size,
                    "sha256": item.sha256,
                    "content": item.content,
                    "note": item.note,
                },
            )
        return message_id

    async def messages(self, ticket_id: int) -> list[TicketMessage]:
        rows = await self._db.fetchall(
            f"SELECT {MESSAGE_COLUMNS} FROM messages m LEFT JOIN outbox o ON o.id = m.outbox_id "
            "WHERE m.ticket_id = ? ORDER BY m.id",
            [ticket_id],
        )
        return [codec.message_from_row(row) for row in rows]

    async def attachments(self, ticket_id: int) -> list[dict[str, Any]]:
        rows = await self._db.fetchall(
            "SELECT a.filename, a.content_type, a.size, a.sha256, a.note FROM attachments a "
            "JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = ? ORDER BY a.id",
            [ticket_id],
        )
        return [dict(row) for row in rows]

    async def add_event(self, ticket_id: int, event: TicketEvent) -> None:
        await self._insert(
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

    # --- outbox ------------------------------------------------------------------------------------

    async def enqueue_reply(self, reply: OutboundReply, now: datetime) -> int | None:
        """Queue a reply; None if one with the same idempotency key is already queued."""
        row = await self._db.fetchone(
            "INSERT INTO outbox (ticket_number, channel, recipient, kind, payload, idempotency_key, status, "
            "next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            [
                reply.ticket_number,
                reply.channel,
                reply.recipient,
                reply.kind,
                codec.reply_payload(reply),
                reply.idempotency_key,
                codec.utc_text(now),
                codec.utc_text(now),
            ],
        )
        return int(row["id"]) if row else None

    async def due_outbox(self, now: datetime, limit: int = 20) -> list[OutboxItem]:
        rows = await self._db.fetchall(
            "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
            [codec.utc_text(now), limit],
        )
        return [codec.outbox_from_row(row) for row in rows]

    async def next_outbox_due(self) -> datetime | None:
        row = await self._db.fetchone("SELECT MIN(next_attempt_at) AS due FROM outbox WHERE status = 'pending'")
        return codec.parse_utc(row["due"]) if row else None

    async def get_outbox(self, outbox_id: int) -> OutboxItem | None:
        row = await self._db.fetchone("SELECT * FROM outbox WHERE id = ?", [outbox_id])
        return codec.outbox_from_row(row) if row else None

    async def mark_outbox(
        self, outbox_id: int, status: str, now: datetime, error: str = "", next_attempt_at: datetime | None = None
    ) -> None:
        """Record one delivery attempt: `sent`, `pending` again (with its next attempt) or `dead`."""
        await self._db.execute(
            "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
            "sent_at = ? WHERE id = ?",
            [
                status,
                error,
                codec.utc_text(next_attempt_at or now),
                codec.utc_text(now) if status == "sent" else None,
                outbox_id,
            ],
        )

    async def requeue_outbox(self, outbox_id: int, now: datetime) -> bool:
        """Give a dead (or pending) item a fresh start; False if there is no such unsent item."""
        row = await self._db.fetchone(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? "
            "WHERE id = ? AND status IN ('dead', 'pending') RETURNING id",
            [codec.utc_text(now), outbox_id],
        )
        return row is not None

    async def list_outbox(self, failed_only: bool = False, limit: int = 100) -> list[OutboxItem]:
        where = "WHERE status = 'dead' OR (status = 'pending' AND attempts > 0)" if failed_only else ""
        rows = await self._db.fetchall(f"SELECT * FROM outbox {where} ORDER BY id DESC LIMIT ?", [limit])
        return [codec.outbox_from_row(row) for row in rows]

    async def count_replies_since(self, recipient: str, kinds: Sequence[str], since: datetime) -> int:
        """How many replies of these kinds were queued to `recipient` since `since` (the acknowledgement cap)."""
        row = await self._db.fetchone(
            f"SELECT COUNT(*) AS n FROM outbox WHERE recipient = ? AND created_at >= ? "
            f"AND kind IN ({_placeholders(len(kinds))})",
            [recipient, codec.utc_text(since), *kinds],
        )
        return int(row["n"]) if row else 0

    # --- address flags -----------------------------------------------------------------------------

    async def flag_address(self, address: str, reason: str, ticket_number: str | None, now: datetime) -> None:
        """Remember that mail to `address` bounced (the latest reason wins)."""
        await self._db.execute(
            "INSERT INTO address_flags (address, reason, ticket_number, flagged_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (address) DO UPDATE SET reason = excluded.reason, ticket_number = excluded.ticket_number, "
            "flagged_at = excluded.flagged_at",
            [address.lower(), reason, ticket_number, codec.utc_text(now)],
        )

    async def address_flag(self, address: str) -> dict[str, Any] | None:
        row = await self._db.fetchone("SELECT * FROM address_flags WHERE address = ?", [address.lower()])
        return dict(row) if row else None

    async def counts(self) -> dict[str, int]:
        """Queue depths for /healthz: pending/quarantined inbox, pending/dead outbox."""
        result: dict[str, int] = {}
        for table in ("inbox", "outbox"):
            rows = await self._db.fetchall(f"SELECT status, COUNT(*) AS n FROM {table} GROUP BY status")
            result.update({f"{table}_{row['status']}": int(row["n"]) for row in rows})
        return result
