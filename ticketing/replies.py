"""What the core needs to word a reply, and how it builds the `OutboundReply` for one ticket.

The wording lives in templates the gateway loads; the core only says which kind of reply, in which language,
with which facts.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from ticketing.sla import SlaPolicy, SlaResult
from ticketing.types import OutboundReply, Ticket

MAX_REFERENCES = 20
SUBJECT_LIMIT = 60


@dataclass(frozen=True)
class ReplyFacts:
    """Everything a reply template may use: the contract between the core and the admin's templates."""

    number: str
    channel: str  # the channel the reply goes out on: templates may differ per channel
    subject: str
    requester_name: str
    organisation: str | None
    plan: str
    priority: str
    priority_stated: bool  # the client stated or implied it; False: the default was applied
    covered: bool
    received_at: datetime
    clock_starts: datetime | None
    outside_hours: bool  # received while closed, so the clock starts at the next opening
    response_due: datetime | None
    resolution_due: datetime | None
    response_target: str  # "minutes", "immediate" or "planned"
    resolution_target: str

    def as_context(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def sample(cls, now: datetime, channel: str = "email") -> ReplyFacts:
        """Plausible facts, to check that every template renders before a client ever sees it."""
        return cls(
            number="TL-000123",
            channel=channel,
            subject="Servidor caído",
            requester_name="Ana Gómez",
            organisation="Distribuidora Andina S.A.S.",
            plan="standard",
            priority="high",
            priority_stated=False,
            covered=True,
            received_at=now,
            clock_starts=now + timedelta(hours=1),
            outside_hours=True,
            response_due=now + timedelta(hours=2),
            resolution_due=now + timedelta(hours=5),
            response_target="minutes",
            resolution_target="minutes",
        )


def ticket_facts(
    ticket: Ticket, organisation: str | None, result: SlaResult, sla: SlaPolicy, priority_stated: bool
) -> ReplyFacts:
    """The facts of `ticket` for its templates, with its deadlines as `result` counted them."""
    targets = sla.targets(ticket.priority)
    clock_starts = result.clock_starts
    return ReplyFacts(
        number=ticket.number,
        channel=ticket.answered_on,
        subject=ticket.subject,
        requester_name=ticket.requester_name,
        organisation=organisation,
        plan=ticket.plan,
        priority=ticket.priority.value,
        priority_stated=priority_stated,
        covered=result.covered,
        received_at=ticket.received_at,
        clock_starts=clock_starts,
        # Only "minutes" targets wait for the opening; "immediate" runs on the 24x7 clock.
        outside_hours=clock_starts is not None
        and clock_starts > ticket.clock_from
        and "minutes" in (targets.response.kind, targets.resolution.kind),
        response_due=result.response_due,
        resolution_due=result.resolution_due,
        response_target=targets.response.kind,
        resolution_target=targets.resolution.kind,
    )


class ReplyComposer(Protocol):
    def render(self, kind: str, language: str, context: Mapping[str, Any]) -> str:
        """The text of a reply of this kind (acknowledgement, not_covered, ...) in this language."""
        ...


def is_message_key(value: str) -> bool:
    """Whether `value` is one of our own message keys (as `new_message_key` makes them)."""
    return value.startswith("gw-") and len(value) == 35 and "@" not in value


def new_message_key() -> str:
    """Our own id for an outgoing message; email turns it into the Message-ID `<gw-...@domain>`."""
    return f"gw-{uuid.uuid4().hex}"


def subject_from(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """A subject for a request that came without one (WhatsApp, a chat): its first line, cut at a word."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0] if " " in line[: limit - 1] else line[: limit - 1]
    return cut.rstrip(" ,;:.-") + "…"


def tagged_subject(number: str, subject: str, fallback: str) -> str:
    """`[TL-000123] subject`, without repeating a tag the subject already carries."""
    subject = subject.strip() or fallback
    tag = f"[{number}]"
    return subject if tag.lower() in subject.lower() else f"{tag} {subject}"


def build_reply(
    ticket: Ticket,
    *,
    kind: str,
    text: str,
    idempotency_key: str,
    answering: str,
    references: Sequence[str],
    fallback_subject: str,
    reply_to: str = "",
) -> OutboundReply:
    """A reply to the ticket's requester on the ticket's channel, threaded under the message `answering`, to where
    the client's latest message asked answers to go (`reply_to`). `references` is the conversation so far, ours
    included (our own messages by their keys: the channel writes them as it wrote them, e.g. `<gw-…@domain>`)."""
    chain = list(dict.fromkeys(ref for ref in references if ref))
    if answering and answering not in chain:
        chain.append(answering)
    return OutboundReply(
        ticket_number=ticket.number,
        channel=ticket.answered_on,
        recipient=ticket.requester_address,
        subject=tagged_subject(ticket.number, ticket.subject, fallback_subject),
        text=text,
        message_key=new_message_key(),
        thread_key=answering,
        references=tuple(chain[-MAX_REFERENCES:]),
        idempotency_key=idempotency_key,
        kind=kind,
        reply_to=reply_to,
        cc=tuple(address for address in ticket.watchers if address != ticket.requester_address),
    )
