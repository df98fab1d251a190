"""Core types shared by every layer: what adapters produce, what the normalizer returns, what the core stores.

Channel names and addresses are opaque strings here: the core never branches on "email" or "whatsapp".
All datetimes are timezone-aware.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


class Priority(enum.StrEnum):
    """The agreement's five priorities, most urgent first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    PLANNED = "planned"


class Status(enum.StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING_ON_CLIENT = "waiting_on_client"
    RESOLVED = "resolved"
    CLOSED = "closed"
    NOT_COVERED = "not_covered"


class Trust(enum.StrEnum):
    """How far the channel vouches for who sent a message (which decides whether it may join a ticket)."""

    VERIFIED = "verified"  # the channel proved it: a WhatsApp number, a Slack user, mail our MTA authenticated
    CLAIMED = "claimed"  # the sender says so: a mail's From without authentication
    ANONYMOUS = "anonymous"  # anyone could have typed it: the public web form


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"
    NOTE = "note"


@dataclass(frozen=True)
class AttachmentRef:
    """An attachment as received: stored content is addressed by its sha256."""

    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes | None = None  # None when over the size limit (kept as a reference) or still to fetch
    note: str = ""
    url: str = ""  # where the content is fetched from when the channel sent a link (WhatsApp media), else ""


@dataclass(frozen=True)
class StoredFile:
    """A stored attachment, found again by its id (to hand to an agent)."""

    id: int
    ticket_number: str
    filename: str
    content_type: str
    size: int
    content: bytes | None  # None: kept as a reference only (over the size limit, or never fetched)
    position: int = 0  # its number among the ticket's attachments, from 1 (as `gateway tickets show` lists them)


@dataclass(frozen=True)
class InboundMessage:
    """What every adapter produces from one message on its channel."""

    channel: str
    native_id: str
    sender_address: str
    sender_name: str
    recipient: str
    subject: str
    text: str
    html: str
    received_at: datetime
    thread_hints: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    attachments: tuple[AttachmentRef, ...] = ()
    # For a delivery failure report (a bounce): the addresses that failed and why.
    failed_recipients: tuple[str, ...] = ()
    failure_reason: str = ""
    # Where an answer to this message goes, written by the channel and opaque to the core (a relay's conversation
    # and thread); every reply on the ticket carries the one of the client's latest message.
    reply_to: str = ""
    # The channel replies go out on, when it is not the one the request came in by: a web form or a phone call
    # answered by email or WhatsApp, at the contact the client gave.
    reply_channel: str = ""
    sender_trust: Trust = Trust.CLAIMED
    cc: tuple[str, ...] = ()  # others the client copied (mail's Cc): colleagues become the ticket's watchers


@dataclass(frozen=True)
class WrittenRequest:
    """What the normalizer returns: the request as the client wrote it now, with its hints."""

    message: InboundMessage
    body: str
    original_body: str
    language: str | None
    priority: Priority | None
    priority_reason: str
    ticket_ref: str | None
    auto_reply: bool = False
    bounce: bool = False
    own_message: bool = False  # something the gateway itself sent, come back in: never answered or recorded
    # An explicit marker in what the client wrote now (not the subject, which a reply repeats): on a message to an
    # existing ticket, the client changes its priority.
    restated_priority: Priority | None = None


@dataclass(frozen=True)
class IngestOutcome:
    """What happened to one written request: `created`, `added`, or `ignored` (with the reason)."""

    action: str
    ticket_number: str | None
    reason: str = ""


@dataclass(frozen=True)
class TicketEvent:
    """One entry of a ticket's append-only audit trail; `id` is set once it is stored."""

    at: datetime
    kind: str
    actor: str
    data: dict[str, Any]
    id: int | None = None


@dataclass(frozen=True)
class TicketMessage:
    direction: Direction
    channel: str
    body: str
    at: datetime
    sender: str
    native_id: str = ""
    original_body: str = ""
    delivery_state: str = ""
    reply_to: str = ""  # see InboundMessage.reply_to

    @property
    def withdrawn(self) -> bool:
        return self.delivery_state == WITHDRAWN

    @property
    def reached_client(self) -> bool:
        """Shown to the client: not an internal note, not a reply held back or taken back by its agent."""
        return self.direction is not Direction.NOTE and self.delivery_state not in (WITHDRAWN, HELD)


WITHDRAWN = "withdrawn"  # the outbox status of a reply its agent took back before it was sent
HELD = "held"  # a reply's state during its grace period: queued, not yet due, never tried


@dataclass
class Ticket:
    """A ticket as stored. `pauses` are the closed intervals during which the SLA clock stood still."""

    number: str
    requester_address: str
    requester_name: str
    channel: str
    organisation: str | None
    plan: str
    status: Status
    priority: Priority
    level: int | None
    subject: str
    language: str
    received_at: datetime
    response_due: datetime | None
    resolution_due: datetime | None
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    paused_since: datetime | None = None
    pauses: list[tuple[datetime, datetime]] = field(default_factory=list)
    assignee: str | None = None
    id: int | None = None
    reply_channel: str = ""  # the channel replies go out on, when not `channel` (a web form answered by email)
    watchers: tuple[str, ...] = ()  # colleagues of the requester the client copied: copied on every reply
    breaches: tuple[str, ...] = ()  # the deadlines it missed: "response", "resolution"
    accepted_at: datetime | None = None  # a not-covered request an agent accepted: its deadlines count from then

    @property
    def clock_from(self) -> datetime:
        """Where the SLA clock counts from: the receipt, or the acceptance of a request first not covered."""
        return self.accepted_at or self.received_at

    @property
    def answered_on(self) -> str:
        """The channel the ticket's replies go out on."""
        return self.reply_channel or self.channel


@dataclass(frozen=True)
class OutboundReply:
    """What the core asks a channel to send; written to the outbox in the same transaction as the ticket change."""

    ticket_number: str
    channel: str
    recipient: str
    subject: str
    text: str
    message_key: str  # our own id for this message; replies that point at it thread back to the ticket
    thread_key: str  # the native id of the message we answer (email: its Message-ID), or ""
    references: tuple[str, ...]
    idempotency_key: str
    kind: str = "reply"  # acknowledgement, not_covered, agent_reply, ...
    reply_to: str = ""  # where the client's latest message asked answers to go (see InboundMessage.reply_to)
    cc: tuple[str, ...] = ()  # the ticket's watchers, copied (channels that can copy: email)
    # What the channel's sender needs besides the text, as JSON values (e.g. the ticket a console summary shows).
    data: Mapping[str, Any] = field(default_factory=dict)
    # Replies with the same channel, recipient and order scope go out one after the other, in order; "" orders all
    # of a recipient's replies (a client's mailbox), the console orders each ticket's thread on its own.
    order_scope: str = ""


# How far a sent reply has got, as channels report it (Twilio's MessageStatus words): a report only moves a reply
# forward, so a replayed or late "sent" cannot undo "delivered". A state not listed ranks with "sent".
DELIVERY_PROGRESS: Mapping[str, int] = {
    "accepted": 1,
    "scheduled": 1,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "read": 5,
    "failed": 6,
    "undelivered": 6,
    "canceled": 6,
}
UNLISTED_DELIVERY_RANK = 3


@dataclass(frozen=True)
class OutboxItem:
    id: int
    reply: OutboundReply
    status: str  # pending, sent, dead
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    provider_id: str | None = None  # the channel's id for the sent message (Twilio's MessageSid)
    delivery_state: str | None = None  # what the channel reported later: delivered, read, failed ...
    delivery_error: str = ""
    # Claimed by a worker and not marked since: in flight, or, when it is due again, its sender died mid-send and
    # the next attempt may repeat a message the client already has.
    outcome_unknown: bool = False


@dataclass(frozen=True)
class Timer:
    """A moment the SLA monitor acts at (`ticketing.timers`): a warning before a deadline, the breach at it."""

    ticket_number: str
    kind: str  # response_warning, response_breach, resolution_warning, resolution_breach
    due_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    status: str = "pending"  # pending, fired, cancelled (the deadline moved, or the ticket no longer waits)

    @property
    def key(self) -> str:
        """One timer per ticket, kind and moment: planned again, it is the same timer (and fires once)."""
        return f"{self.ticket_number}:{self.kind}:{self.due_at.astimezone(UTC).isoformat(timespec='seconds')}"


@dataclass(frozen=True)
class PendingDownload:
    """An attachment the channel sent as a link, still to fetch (after the ack, by the media worker)."""

    attachment_id: int
    ticket_number: str
    channel: str
    url: str
    content_type: str
    attempts: int
    filename: str = ""


@dataclass(frozen=True)
class InboxItem:
    id: int
    channel: str
    native_id: str
    raw: bytes
    meta: dict[str, Any]
    received_at: datetime
    status: str  # pending, done, quarantined, ignored
    attempts: int
    error: str


@dataclass(frozen=True)
class ChannelActivity:
    """What the store knows of one channel (as inbox and outbox name it) for the admin pages."""

    channel: str
    last_in: datetime | None = None  # when its latest message was received
    inbox_pending: int = 0
    inbox_quarantined: int = 0
    outbox_pending: int = 0  # the backlog: replies waiting for their first or next attempt
    outbox_dead: int = 0
    last_failure: str = ""  # the error of its newest reply not sent, failed at least once
    last_failure_id: int | None = None  # that reply's outbox id
