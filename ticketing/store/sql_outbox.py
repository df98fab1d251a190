"""Queries on the outbox: replies queued in the same transaction as the ticket change, and their delivery."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ticketing.store import codec
from ticketing.store.sql_base import Queries, placeholders
from ticketing.types import (
    DELIVERY_PROGRESS,
    UNLISTED_DELIVERY_RANK,
    OutboundReply,
    OutboxItem,
)

_DELIVERY_RANK = (
    "CASE COALESCE(delivery_state, '') WHEN '' THEN 0 "
    + " ".join(f"WHEN '{state}' THEN {rank}" for state, rank in DELIVERY_PROGRESS.items())
    + f" ELSE {UNLISTED_DELIVERY_RANK} END"
)
# A reply still held back: never tried and not yet due, so no worker has picked it up (the next parameter: now).
HELD = "status = 'pending' AND attempts = 0 AND next_attempt_at > ?"


class OutboxQueries(Queries):
    # --- outbox ------------------------------------------------------------------------------------

    async def enqueue_reply(
        self, reply: OutboundReply, now: datetime, not_before: datetime | None = None
    ) -> int | None:
        """Queue a reply (held until `not_before` when given); None if one with the same idempotency key is already
        queued."""
        row = await self._db.fetchone(
            "INSERT INTO outbox (ticket_number, channel, recipient, kind, payload, idempotency_key, status, "
            "next_attempt_at, created_at, order_scope) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) "
            "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            [
                reply.ticket_number,
                reply.channel,
                reply.recipient,
                reply.kind,
                codec.reply_payload(reply),
                reply.idempotency_key,
                codec.utc_text(not_before or now),
                codec.utc_text(now),
                reply.order_scope,
            ],
        )
        return int(row["id"]) if row else None

    async def outbox_by_key(self, idempotency_key: str) -> OutboxItem | None:
        row = await self._db.fetchone("SELECT * FROM outbox WHERE idempotency_key = ?", [idempotency_key])
        return codec.outbox_from_row(row) if row else None

    async def withdraw_outbox(self, outbox_id: int, now: datetime) -> bool:
        """Cancel a reply still held back (never tried, not yet due); False when it is too late."""
        row = await self._db.fetchone(
            f"UPDATE outbox SET status = 'withdrawn' WHERE id = ? AND {HELD} RETURNING id",
            [outbox_id, codec.utc_text(now)],
        )
        return row is not None

    async def revise_outbox(self, outbox_id: int, reply: OutboundReply, now: datetime) -> bool:
        """Rewrite a reply still held back, and the ticket's record of it; False when it is too late."""
        row = await self._db.fetchone(
            f"UPDATE outbox SET payload = ? WHERE id = ? AND {HELD} RETURNING id",
            [codec.reply_payload(reply), outbox_id, codec.utc_text(now)],
        )
        if row is None:
            return False
        await self._db.execute("UPDATE messages SET body = ? WHERE outbox_id = ?", [reply.text, outbox_id])
        return True

    async def due_outbox(self, now: datetime, limit: int = 20) -> list[OutboxItem]:
        """Replies due now, oldest first, and only the oldest unsent one per conversation (channel, recipient and
        order scope): a reply waiting to be retried holds back the ones queued after it, so each conversation keeps
        its order, and the replies returned can be sent at the same time. A reply another worker has claimed (and
        whose claim has not lapsed) is not due."""
        return [codec.outbox_from_row(row) for row in await self._due_rows(now, limit, lock="")]

    async def claim_outbox(self, now: datetime, owner: str, until: datetime, limit: int = 20) -> list[OutboxItem]:
        """The replies due now (as `due_outbox`), claimed by `owner` until `until`: no other worker sends them
        before that, unless `mark_outbox` records their outcome first. An item whose earlier claim lapsed without an
        outcome comes back with `outcome_unknown` set, and the lapse is counted in `unknown_outcomes`."""
        rows = await self._due_rows(now, limit, lock=self._db.row_lock)
        if not rows:
            return []
        ids = [int(row["id"]) for row in rows]
        await self._db.execute(
            "UPDATE outbox SET claimed_by = ?, claimed_until = ?, unknown_outcomes = unknown_outcomes + "
            f"(CASE WHEN claimed_until IS NULL THEN 0 ELSE 1 END) WHERE id IN ({placeholders(len(ids))})",
            [owner, codec.utc_text(until), *ids],
        )
        return [codec.outbox_from_row(row) for row in rows]

    async def release_outbox(self, outbox_ids: Sequence[int]) -> None:
        """Give back claims on replies not attempted after all (the worker is stopping)."""
        if outbox_ids:
            await self._db.execute(
                "UPDATE outbox SET claimed_by = '', claimed_until = NULL "
                f"WHERE id IN ({placeholders(len(outbox_ids))})",
                list(outbox_ids),
            )

    async def lapse_outbox_claims(self) -> int:
        """End every claim now, each counted as an attempt of unknown outcome: the one gateway that sends from this
        store (on SQLite), starting, knows their holder is gone. Returns how many there were."""
        rows = await self._db.fetchall(
            "UPDATE outbox SET claimed_until = created_at WHERE claimed_until IS NOT NULL AND status = 'pending' "
            "RETURNING id"
        )
        return len(rows)

    async def _due_rows(self, now: datetime, limit: int, lock: str) -> list[codec.Row]:
        moment = codec.utc_text(now)
        return await self._db.fetchall(
            "SELECT * FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= ? "
            "AND (o.claimed_until IS NULL OR o.claimed_until <= ?) AND NOT EXISTS ("
            "SELECT 1 FROM outbox e WHERE e.status = 'pending' AND e.channel = o.channel "
            "AND e.recipient = o.recipient AND e.order_scope = o.order_scope AND e.id < o.id) "
            f"ORDER BY o.id LIMIT ? {lock}",
            [moment, moment, limit],
        )

    async def next_outbox_due(self) -> datetime | None:
        row = await self._db.fetchone("SELECT MIN(next_attempt_at) AS due FROM outbox WHERE status = 'pending'")
        return codec.parse_utc(row["due"]) if row else None

    async def get_outbox(self, outbox_id: int) -> OutboxItem | None:
        row = await self._db.fetchone("SELECT * FROM outbox WHERE id = ?", [outbox_id])
        return codec.outbox_from_row(row) if row else None

    async def mark_outbox(
        self, outbox_id: int, status: str, now: datetime, error: str = "", next_attempt_at: datetime | None = None
    ) -> None:
        """Record one delivery attempt: `sent`, `pending` again (with its next attempt) or `dead`; ends its claim."""
        await self._db.execute(
            "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
            "sent_at = ?, claimed_by = '', claimed_until = NULL WHERE id = ?",
            [
                status,
                error,
                codec.utc_text(next_attempt_at or now),
                codec.utc_text(now) if status == "sent" else None,
                outbox_id,
            ],
        )

    async def set_provider_id(self, outbox_id: int, provider_id: str) -> None:
        await self._db.execute("UPDATE outbox SET provider_id = ? WHERE id = ?", [provider_id, outbox_id])

    async def record_delivery(self, provider_id: str, state: str, error: str) -> OutboxItem | None:
        """A channel's delivery report for a sent reply; returns the reply when this report moved it forward (None:
        not one of ours, the same report again, or one behind what is known: a replayed "sent" after "delivered")."""
        rank = DELIVERY_PROGRESS.get(state, UNLISTED_DELIVERY_RANK)
        row = await self._db.fetchone(
            "UPDATE outbox SET delivery_state = ?, delivery_error = ? WHERE provider_id = ? "
            f"AND ({_DELIVERY_RANK} < ? OR (delivery_state = ? AND delivery_error <> ?)) RETURNING *",
            [state, error, provider_id, rank, state, error],
        )
        return codec.outbox_from_row(row) if row else None

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

    async def unknown_outcomes(self) -> int:
        """How many send attempts ended without a known outcome (each claim that lapsed), over the outbox's life."""
        row = await self._db.fetchone(  # off the partial index of the few items that have one (migration 17)
            "SELECT COALESCE(SUM(unknown_outcomes), 0) AS n FROM outbox WHERE unknown_outcomes > 0"
        )
        return int(row["n"]) if row else 0

    async def count_replies_since(self, recipient: str, kinds: Sequence[str], since: datetime) -> int:
        """How many replies of these kinds were queued to `recipient` since `since` (the acknowledgement cap)."""
        row = await self._db.fetchone(
            f"SELECT COUNT(*) AS n FROM outbox WHERE recipient = ? AND created_at >= ? "
            f"AND kind IN ({placeholders(len(kinds))})",
            [recipient, codec.utc_text(since), *kinds],
        )
        return int(row["n"]) if row else 0
