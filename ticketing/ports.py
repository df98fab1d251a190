"""The store's roles: each part of the gateway is typed against the narrow port it uses, not the whole store.

A store offers units of work (`UnitOfWork[Unit]`: `async with store.transaction() as unit`); what a unit can do
depends on the role it is typed as. Every backend's transaction implements every role, so one store object serves
them all, while a constructor's signature says exactly what it reads and writes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol, TypeVar

from ticketing.reports import ReportTicket
from ticketing.types import (
    AttachmentRef,
    ChannelActivity,
    InboxItem,
    OutboundReply,
    OutboxItem,
    PendingDownload,
    StoredFile,
    Ticket,
    TicketEvent,
    TicketMessage,
    Timer,
)

Unit_co = TypeVar("Unit_co", covariant=True)


class UnitOfWork(Protocol[Unit_co]):
    def transaction(self) -> AbstractAsyncContextManager[Unit_co]:
        """One unit of work: everything done through the yielded object commits together or not at all."""
        ...


class OutboxQueue(Protocol):
    """Queueing a reply (in the same transaction as the change it answers), at once or held until `not_before`."""

    async def enqueue_reply(
        self, reply: OutboundReply, now: datetime, not_before: datetime | None = None
    ) -> int | None: ...


class HeldReplies(Protocol):
    """A reply held back (an agent's grace period) found by its key, and cancelled or rewritten before it is due."""

    async def outbox_by_key(self, idempotency_key: str) -> OutboxItem | None: ...

    async def withdraw_outbox(self, outbox_id: int, now: datetime) -> bool: ...

    async def revise_outbox(self, outbox_id: int, reply: OutboundReply, now: datetime) -> bool: ...


class TicketReading(Protocol):
    """One ticket and what hangs off it."""

    async def get_ticket(self, number: str) -> Ticket | None: ...

    async def messages(self, ticket_id: int) -> list[TicketMessage]: ...


class TimerPlanning(Protocol):
    """Planning a ticket's SLA timers, in the transaction that changed it."""

    async def plan_timers(self, ticket_number: str, timers: Sequence[Timer], now: datetime) -> None: ...


class TicketWork(OutboxQueue, HeldReplies, TicketReading, TimerPlanning, Protocol):
    """The core's unit of work: tickets, their messages and events, replies, and the inbox item being ingested."""

    async def claim_inbox(self, inbox_id: int) -> bool: ...

    async def finish_inbox(
        self, inbox_id: int, status: str, now: datetime, ticket_number: str | None = None, error: str = ""
    ) -> None: ...

    async def next_ticket_number(self, prefix: str) -> str: ...

    async def insert_ticket(self, ticket: Ticket, now: datetime) -> int: ...

    async def update_ticket(self, ticket: Ticket, now: datetime) -> None: ...

    async def find_ticket_by_message_ids(self, native_ids: Sequence[str]) -> Ticket | None: ...

    async def find_recent_open_ticket(self, requester: str, channel: str, since: datetime) -> Ticket | None: ...

    async def add_message(
        self,
        ticket_id: int,
        message: TicketMessage,
        attachments: Sequence[AttachmentRef] = (),
        outbox_id: int | None = None,
    ) -> int: ...

    async def add_attachment(self, message_id: int, item: AttachmentRef, at: datetime) -> int: ...

    async def add_event(self, ticket_id: int, event: TicketEvent) -> int: ...

    async def flag_address(self, address: str, reason: str, ticket_number: str | None, now: datetime) -> None: ...

    async def count_replies_since(self, recipient: str, kinds: Sequence[str], since: datetime) -> int: ...

    async def record_delivery(self, provider_id: str, state: str, error: str) -> OutboxItem | None: ...

    async def inbox_ticket_number(self, inbox_id: int) -> str | None: ...


class InboxWork(Protocol):
    """The inbox pipeline: pending raw messages, and how each one ended."""

    async def pending_inbox(self, limit: int = 50) -> list[InboxItem]: ...

    async def claim_inbox_reads(
        self, owner: str, now: datetime, until: datetime, limit: int = 50
    ) -> list[InboxItem]: ...

    async def release_inbox_reads(self, owner: str) -> None: ...

    async def lapse_inbox_reads(self) -> int: ...

    async def finish_inbox(
        self, inbox_id: int, status: str, now: datetime, ticket_number: str | None = None, error: str = ""
    ) -> None: ...

    async def count_inbox_attempt(self, inbox_id: int, error: str) -> int: ...


class OutboxWork(TicketWork, Protocol):
    """The outbox worker: replies due, each attempt's result, and the ticket event that records a delivery."""

    async def due_outbox(self, now: datetime, limit: int = 20) -> list[OutboxItem]: ...

    async def claim_outbox(self, now: datetime, owner: str, until: datetime, limit: int = 20) -> list[OutboxItem]: ...

    async def release_outbox(self, outbox_ids: Sequence[int]) -> None: ...

    async def lapse_outbox_claims(self) -> int: ...

    async def next_outbox_due(self) -> datetime | None: ...

    async def mark_outbox(
        self, outbox_id: int, status: str, now: datetime, error: str = "", next_attempt_at: datetime | None = None
    ) -> None: ...

    async def set_provider_id(self, outbox_id: int, provider_id: str) -> None: ...


class TimerWork(TicketWork, Protocol):
    """The SLA monitor: timers due, and each one's end (with the ticket change it makes, in one transaction)."""

    async def due_timers(self, now: datetime, limit: int = 20) -> list[Timer]: ...

    async def finish_timer(self, timer_id: int, status: str, now: datetime) -> None: ...

    async def next_timer_due(self) -> datetime | None: ...

    async def list_timers(self, status: str | None = "pending", limit: int = 1000) -> list[Timer]: ...


class AttachmentFiles(Protocol):
    """A stored attachment's content, by its id (to hand a client's file to an agent)."""

    async def attachment_file(self, attachment_id: int) -> StoredFile | None: ...


class DownloadWork(TicketWork, Protocol):
    """Attachments a channel sent as links, fetched after the ack (each one fetched is an event on its ticket)."""

    async def due_downloads(self, now: datetime, limit: int = 10) -> list[PendingDownload]: ...

    async def next_download_due(self) -> datetime | None: ...

    async def finish_download(self, attachment_id: int, content: bytes, content_type: str, sha256: str) -> bool: ...

    async def claim_downloads(self, now: datetime, until: datetime, limit: int = 10) -> list[PendingDownload]: ...

    async def retry_download(self, attachment_id: int, error: str, next_at: datetime | None) -> None: ...


class Leases(Protocol):
    """Named work one replica does at a time (one IMAP mailbox's reader): a lease its holder keeps renewing."""

    async def take_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool: ...

    async def release_lease(self, name: str, holder: str) -> None: ...

    async def lease_holder(self, name: str, now: datetime) -> str | None: ...


class OverLimit(Exception):
    """A rate-limited key went over its limit: raised inside the transaction, so none of its keys is counted."""


class RateCounts(Protocol):
    """Rate limits that every replica counts in: hits per key and window, in the store."""

    async def count_hits(self, buckets: list[str], limit: int, now: datetime, expires_at: datetime) -> bool: ...

    async def buckets_at_limit(self, buckets: list[str], limit: int) -> bool: ...


class MailboxPositions(Protocol):
    """Where reading each IMAP mailbox got to: (UIDVALIDITY, last UID committed)."""

    async def get_mailbox_state(self, mailbox: str) -> tuple[int, int] | None: ...

    async def set_mailbox_state(self, mailbox: str, uidvalidity: int, last_uid: int, now: datetime) -> None: ...


class ConsoleThreads(Protocol):
    """Which message of the agents' console is each ticket's thread, and back."""

    async def set_console_thread(self, ticket_number: str, channel_id: str, thread_ts: str) -> None: ...

    async def console_thread(self, ticket_number: str) -> tuple[str, str] | None: ...

    async def ticket_for_console_thread(self, channel_id: str, thread_ts: str) -> str | None: ...


class InboxLookup(Protocol):
    """A received message found again by its channel's id (e.g. an agent's reply awaiting confirmation)."""

    async def inbox_item_by_native_id(self, channel: str, native_id: str) -> InboxItem | None: ...


class Conversations(Protocol):
    """When a client last wrote on a channel (WhatsApp's 24-hour window)."""

    async def last_inbound_at(self, channel: str, sender: str) -> datetime | None: ...


class ReadModel(TicketReading, AttachmentFiles, Protocol):
    """What the CLI, the web status page and /metrics read; nothing here changes the store."""

    async def list_tickets(self, limit: int = 100, status: str | None = None) -> list[Ticket]: ...

    async def events(self, ticket_id: int) -> list[TicketEvent]: ...

    async def attachments(self, ticket_id: int) -> list[dict[str, Any]]: ...

    async def address_flag(self, address: str) -> dict[str, Any] | None: ...

    async def list_outbox(self, failed_only: bool = False, limit: int = 100) -> list[OutboxItem]: ...

    async def get_outbox(self, outbox_id: int) -> OutboxItem | None: ...

    async def inbox_items(self, status: str, limit: int = 100) -> list[InboxItem]: ...

    async def get_inbox(self, inbox_id: int) -> InboxItem | None: ...

    async def counts(self, only: Collection[str] = ()) -> dict[str, int]: ...

    async def unknown_outcomes(self) -> int: ...

    async def ticket_counts(self) -> dict[str, int]: ...

    async def ticket_timers(self, ticket_number: str) -> list[Timer]: ...

    async def channel_activity(self, channels: Sequence[str]) -> dict[str, ChannelActivity]: ...


class ReportReading(Protocol):
    """What compliance reports read: the tickets of a period, with what the SLA monitor did to them."""

    async def report_tickets(
        self, since: datetime, until: datetime, organisation: str | None = None
    ) -> list[ReportTicket]: ...


class ScheduledReports(ReportReading, OutboxQueue, Protocol):
    """The monthly report: its tickets, the claim that makes one replica post it, and the post, queued."""

    async def claim_desk_job(self, job_key: str, now: datetime) -> bool: ...


class Requeueing(Protocol):
    """An operator's second chance: a dead reply or a quarantined message goes round again."""

    async def get_outbox(self, outbox_id: int) -> OutboxItem | None: ...

    async def requeue_outbox(self, outbox_id: int, now: datetime) -> bool: ...

    async def requeue_inbox(self, inbox_id: int) -> bool: ...
