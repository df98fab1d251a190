"""Queries of the intake side: the durable inbox, IMAP mailbox positions, bounced addresses, queue depths."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from ticketing.intake import AcceptRequest, AcceptResult
from ticketing.store import codec
from ticketing.store.sql_base import Queries, placeholders
from ticketing.types import (
    InboxItem,
)


def _stored_meta(request: AcceptRequest) -> dict[str, Any]:
    """The request's meta as the inbox keeps it: with its content key, when the channel gives one."""
    return {**request.meta, "content_key": request.content_key} if request.content_key else request.meta


class IntakeQueries(Queries):
    # --- inbox -------------------------------------------------------------------------------------

    async def insert_inbox(self, request: AcceptRequest) -> AcceptResult:
        """Insert a raw message unless (channel, native_id) is already there with the same content key.

        The same id with another content key (a device that reuses its Message-IDs) is a new message, stored under
        the id with the key's start appended."""
        meta = _stored_meta(request)
        inserted = await self._insert_new(request, request.native_id, meta)
        if inserted is not None:
            return AcceptResult(inserted, duplicate=False)
        existing_id, known_key = await self._existing(request.channel, request.native_id)
        if not request.content_key or not known_key or known_key == request.content_key:
            return AcceptResult(existing_id, duplicate=True)
        variant = f"{request.native_id}#{request.content_key[:16]}"
        inserted = await self._insert_new(request, variant, meta)
        if inserted is not None:
            return AcceptResult(inserted, duplicate=False, reused_id=True)
        return AcceptResult((await self._existing(request.channel, variant))[0], duplicate=True, reused_id=True)

    async def insert_inbox_batch(self, requests: Sequence[AcceptRequest]) -> list[AcceptResult]:
        """`insert_inbox` for each request, in order, the new ones written by one multi-row INSERT (one statement,
        one round trip to PostgreSQL, for a burst). A request whose (channel, native_id) is already taken, by an
        earlier message or by a copy earlier in the same batch, goes through `insert_inbox`, which tells a
        duplicate from a reused id."""
        if len(requests) < 2:
            return [await self.insert_inbox(request) for request in requests]
        values: list[Any] = []
        for request in requests:
            received = codec.utc_text(request.received_at)
            values += [
                request.channel,
                request.native_id,
                received,
                request.raw,
                json.dumps(_stored_meta(request)),
                "pending",
            ]
        rows = await self._db.fetchall(
            "INSERT INTO inbox (channel, native_id, received_at, raw, meta, status) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(requests))
            + " ON CONFLICT (channel, native_id) DO NOTHING RETURNING id, channel, native_id",
            values,
        )
        inserted = {(row["channel"], row["native_id"]): int(row["id"]) for row in rows}
        results = []
        for request in requests:
            new_id = inserted.pop((request.channel, request.native_id), None)
            results.append(AcceptResult(new_id, False) if new_id is not None else await self.insert_inbox(request))
        return results

    async def _existing(self, channel: str, native_id: str) -> tuple[int, str]:
        """(id, content key) of the inbox item stored under (channel, native_id)."""
        row = await self._db.fetchone(
            "SELECT id, meta FROM inbox WHERE channel = ? AND native_id = ?", [channel, native_id]
        )
        assert row is not None
        return int(row["id"]), str(json.loads(row["meta"] or "{}").get("content_key", ""))

    async def _insert_new(self, request: AcceptRequest, native_id: str, meta: dict[str, Any]) -> int | None:
        row = await self._db.fetchone(
            "INSERT INTO inbox (channel, native_id, received_at, raw, meta, status) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (channel, native_id) DO NOTHING RETURNING id",
            [request.channel, native_id, codec.utc_text(request.received_at), request.raw, json.dumps(meta), "pending"],
        )
        return int(row["id"]) if row is not None else None

    async def pending_inbox(self, limit: int = 50) -> list[InboxItem]:
        rows = await self._db.fetchall("SELECT * FROM inbox WHERE status = 'pending' ORDER BY id LIMIT ?", [limit])
        return [codec.inbox_from_row(row) for row in rows]

    async def claim_inbox_reads(self, owner: str, now: datetime, until: datetime, limit: int = 50) -> list[InboxItem]:
        """The oldest pending items no other replica is reading, claimed by `owner` until `until`; the claims
        `owner` already holds are renewed first (a long read keeps its item). A claim lapses when its owner stops
        renewing it (it died), and the item is read by whoever claims it next."""
        moment = codec.utc_text(now)
        await self._db.execute(
            "UPDATE inbox SET read_until = ? WHERE read_by = ? AND status = 'pending'", [codec.utc_text(until), owner]
        )
        rows = await self._db.fetchall(
            "SELECT * FROM inbox WHERE status = 'pending' AND (read_by = ? OR read_until IS NULL OR read_until <= ?) "
            f"ORDER BY id LIMIT ? {self._db.row_lock}",
            [owner, moment, limit],
        )
        ids = [int(row["id"]) for row in rows if row["read_by"] != owner]
        if ids:
            await self._db.execute(
                f"UPDATE inbox SET read_by = ?, read_until = ? WHERE id IN ({placeholders(len(ids))})",
                [owner, codec.utc_text(until), *ids],
            )
        return [codec.inbox_from_row(row) for row in rows]

    async def release_inbox_reads(self, owner: str) -> None:
        """Give back `owner`'s claims on items still pending (a clean stop): another replica reads them at once."""
        await self._db.execute(
            "UPDATE inbox SET read_by = '', read_until = NULL WHERE read_by = ? AND status = 'pending'", [owner]
        )

    async def lapse_inbox_reads(self) -> int:
        """End every read claim now: the one gateway on this store (SQLite), starting, knows their owner is gone."""
        rows = await self._db.fetchall(
            "UPDATE inbox SET read_by = '', read_until = NULL WHERE read_by <> '' AND status = 'pending' RETURNING id"
        )
        return len(rows)

    async def inbox_items(self, status: str, limit: int = 100) -> list[InboxItem]:
        rows = await self._db.fetchall("SELECT * FROM inbox WHERE status = ? ORDER BY id LIMIT ?", [status, limit])
        return [codec.inbox_from_row(row) for row in rows]

    async def inbox_item_by_native_id(self, channel: str, native_id: str) -> InboxItem | None:
        row = await self._db.fetchone("SELECT * FROM inbox WHERE channel = ? AND native_id = ?", [channel, native_id])
        return codec.inbox_from_row(row) if row else None

    async def get_inbox(self, inbox_id: int) -> InboxItem | None:
        row = await self._db.fetchone("SELECT * FROM inbox WHERE id = ?", [inbox_id])
        return codec.inbox_from_row(row) if row else None

    async def inbox_ticket_number(self, inbox_id: int) -> str | None:
        """The ticket an inbox item became, once processed."""
        row = await self._db.fetchone("SELECT ticket_number FROM inbox WHERE id = ?", [inbox_id])
        return str(row["ticket_number"]) if row and row["ticket_number"] else None

    async def claim_inbox(self, inbox_id: int) -> bool:
        """Take a pending item for processing inside this transaction; False if someone already processed it.

        The row lock (PostgreSQL) or the single writer (SQLite) makes two concurrent claims of one item impossible."""
        row = await self._db.fetchone(
            "UPDATE inbox SET status = 'processing' WHERE id = ? AND status = 'pending' RETURNING id", [inbox_id]
        )
        return row is not None

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

    async def ticket_counts(self) -> dict[str, int]:
        """How many tickets there are in each status."""
        rows = await self._db.fetchall("SELECT status, COUNT(*) AS n FROM tickets GROUP BY status")
        return {str(row["status"]): int(row["n"]) for row in rows}

    async def counts(self, only: Collection[str] = ()) -> dict[str, int]:
        """Inbox and outbox items by state ("inbox_pending", "outbox_dead", ...); with `only`, just those (the
        states of few items: /healthz counts them off the status index without reading the done and sent ones)."""
        result: dict[str, int] = {}
        for table in ("inbox", "outbox"):
            states = [key.removeprefix(f"{table}_") for key in only if key.startswith(f"{table}_")]
            if only and not states:
                continue
            where = f"WHERE status IN ({placeholders(len(states))}) " if states else ""
            rows = await self._db.fetchall(f"SELECT status, COUNT(*) AS n FROM {table} {where}GROUP BY status", states)
            result.update({f"{table}_{row['status']}": int(row["n"]) for row in rows})
        return result
