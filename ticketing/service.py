"""The ticketing core: turns one written request into a new ticket or an addition to an existing one.

Each call is one transaction: the ticket change, its event, the inbox item's state and any reply to send
(the outbox) commit together.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ticketing.automatic_replies import ACKNOWLEDGEMENT_KINDS, AutomaticReplies
from ticketing.bounces import record_bounce
from ticketing.customers import CustomerDirectory, Organisation
from ticketing.lifecycle import GATEWAY, queue_reply, set_priority, set_status
from ticketing.observer import NoObserver, TicketLog, TicketObserver
from ticketing.ports import TicketWork, UnitOfWork
from ticketing.replies import ReplyComposer, subject_from
from ticketing.sla import SlaPolicy
from ticketing.types import (
    Direction,
    InboundMessage,
    IngestOutcome,
    Priority,
    Status,
    Ticket,
    TicketMessage,
    Trust,
    WrittenRequest,
)

REOPENS = {Status.WAITING_ON_CLIENT, Status.RESOLVED}  # a client message brings these back to open


@dataclass(frozen=True)
class ServiceOptions:
    ticket_prefix: str
    default_priority: Priority
    default_language: str
    fallback_subject: dict[str, str]
    unknown_sender_plan: str = "free"
    acknowledgements_per_hour: int = 10  # per sender; 0 means no cap
    # Chat channels: a message continues the sender's open ticket on that channel if they wrote to it this recently.
    continue_within: Mapping[str, timedelta] = field(default_factory=dict)


class TicketService:
    def __init__(
        self,
        store: UnitOfWork[TicketWork],
        directory: CustomerDirectory,
        sla: SlaPolicy,
        composer: ReplyComposer,
        options: ServiceOptions,
        clock: Callable[[], datetime],
        observer: TicketObserver | None = None,
    ) -> None:
        self._store = store
        self._directory = directory
        self._sla = sla
        self._replies = AutomaticReplies(composer, sla, options.fallback_subject, options.default_language)
        self._options = options
        self._clock = clock
        self._observer = observer or NoObserver()

    async def ingest(self, inbox_id: int, request: WrittenRequest) -> IngestOutcome:
        """Record the request on a ticket (new or existing) and queue the acknowledgement, in one transaction."""
        message = request.message
        org = self._directory.lookup(message.sender_address)
        now = self._clock()
        async with self._store.transaction() as tx:
            if not await tx.claim_inbox(inbox_id):  # processed meanwhile (e.g. a phone call recorded at once)
                return IngestOutcome("ignored", None, "already processed")
            existing = await self._find_existing(tx, request, org, now)
            if request.own_message:
                outcome = IngestOutcome("ignored", None, "our own outgoing message, come back")
            elif request.bounce:
                outcome = await record_bounce(tx, request, now, self._observer)
            elif existing is not None and existing.status is not Status.CLOSED:
                await self._add_to_ticket(tx, existing, request, now)
                outcome = IngestOutcome("added", existing.number)
            elif request.auto_reply:
                outcome = IngestOutcome("ignored", None, "auto_reply that matches no open ticket")
            else:
                ticket = await self._create_ticket(tx, inbox_id, request, org, now, previous=existing)
                outcome = IngestOutcome("created", ticket.number)
            status = "ignored" if outcome.action == "ignored" else "done"
            await tx.finish_inbox(inbox_id, status, now, outcome.ticket_number, outcome.reason)
        return outcome

    def _may_continue(self, ticket: Ticket, message: InboundMessage, org: Organisation | None) -> bool:
        """Who may add to a ticket (no hijacking): the requester; an address customers.toml lists for the ticket's
        organisation; anyone of that organisation whom the channel verified (authenticated mail, a WhatsApp number).
        Nobody through an anonymous channel (the web form: anyone can type any address)."""
        if message.sender_trust is Trust.ANONYMOUS:
            return False
        sender = message.sender_address.strip().lower()
        if sender == ticket.requester_address.lower() or sender in ticket.watchers:
            return True
        if org is None or org.id != ticket.organisation:
            return False
        listed = self._directory.listed(sender)
        return message.sender_trust is Trust.VERIFIED or (listed is not None and listed.id == org.id)

    async def _find_existing(
        self, tx: TicketWork, request: WrittenRequest, org: Organisation | None, now: datetime
    ) -> Ticket | None:
        """The ticket this message continues: its ticket reference, its thread, or (chat channels) the sender's
        recent open conversation — always subject to the no-hijacking rule."""
        message = request.message
        candidates = []
        if request.ticket_ref:
            candidates.append(await tx.get_ticket(request.ticket_ref))
        candidates.append(await tx.find_ticket_by_message_ids(message.thread_hints))
        for ticket in candidates:
            if ticket is not None and self._may_continue(ticket, message, org):
                return ticket
        window = self._options.continue_within.get(message.channel)
        if window is None:
            return None
        return await tx.find_recent_open_ticket(message.sender_address, message.channel, now - window)

    async def _add_to_ticket(self, tx: TicketWork, ticket: Ticket, request: WrittenRequest, now: datetime) -> None:
        message = request.message
        log = TicketLog(tx, ticket)
        direction = Direction.NOTE if request.auto_reply else Direction.IN
        await log.message(self._incoming(request, direction), message.attachments)
        kind = "auto_reply" if request.auto_reply else "client_message"
        data = {"channel": message.channel, "native_id": message.native_id, "sender_name": message.sender_name}
        await log.event(now, kind, message.sender_address, data)
        if direction is Direction.IN and ticket.status in REOPENS:
            previous = ticket.status
            set_status(ticket, Status.OPEN, now, self._sla)
            await log.event(now, "status", message.sender_address, {"from": previous, "to": Status.OPEN})
        if direction is Direction.IN:
            await self._add_watchers(log, message, now)
        if direction is Direction.IN and self._restates_priority(ticket, request):
            await self._change_priority(log, request, now)
        await tx.update_ticket(ticket, now)
        await log.tell(self._observer, now)

    async def _add_watchers(self, log: TicketLog, message: InboundMessage, now: datetime) -> None:
        """Colleagues the client copied become the ticket's watchers, copied on every reply; strangers do not (a
        reply must not leak to whoever a client's mail happened to copy)."""
        ticket = log.ticket
        added = []
        for address in message.cc:
            org = self._directory.lookup(address)
            known = address in ticket.watchers or address == ticket.requester_address
            if org is not None and org.id == ticket.organisation and not known:
                added.append(address)
        if added:
            ticket.watchers = (*ticket.watchers, *added)
            await log.event(now, "watchers", message.sender_address, {"added": added})

    def _restates_priority(self, ticket: Ticket, request: WrittenRequest) -> bool:
        """The client stated another priority in a follow-up (the agreement leaves it to the client)."""
        restated = request.restated_priority
        return restated is not None and restated is not ticket.priority and self._sla.is_covered(ticket.plan)

    async def _change_priority(self, log: TicketLog, request: WrittenRequest, now: datetime) -> None:
        """The new priority, the deadlines recomputed from the receipt, and a short confirmation to the client."""
        ticket, message = log.ticket, request.message
        previous = ticket.priority
        set_priority(ticket, request.restated_priority or previous, self._sla)
        data = {
            "from": previous,
            "to": ticket.priority,
            "by": "client",
            "reason": request.priority_reason,
            "response_due": ticket.response_due,
            "resolution_due": ticket.resolution_due,
        }
        await log.event(now, "priority", message.sender_address, data)
        org = self._directory.get(ticket.organisation)
        await queue_reply(log, self._replies.priority_changed(ticket, org, request), now, sender=GATEWAY)

    async def _create_ticket(
        self,
        tx: TicketWork,
        inbox_id: int,
        request: WrittenRequest,
        org: Organisation | None,
        now: datetime,
        previous: Ticket | None,
    ) -> Ticket:
        message = request.message
        plan = org.plan if org else self._options.unknown_sender_plan
        priority = request.priority or self._options.default_priority
        covered = self._sla.is_covered(plan)
        sla = self._sla.compute(priority, plan, message.received_at)
        language = request.language or (org.language if org else None) or self._options.default_language
        ticket = Ticket(
            number=await tx.next_ticket_number(self._options.ticket_prefix),
            requester_address=message.sender_address,
            requester_name=message.sender_name,
            channel=message.channel,
            reply_channel=message.reply_channel if message.reply_channel != message.channel else "",
            organisation=org.id if org else None,
            plan=plan,
            status=Status.NEW if covered else Status.NOT_COVERED,
            priority=priority,
            level=None,
            subject=message.subject.strip() or subject_from(request.body),
            language=language,
            received_at=message.received_at,
            response_due=sla.response_due,
            resolution_due=sla.resolution_due,
        )
        await tx.insert_ticket(ticket, now)
        log = TicketLog(tx, ticket)
        await log.message(self._incoming(request, Direction.IN), message.attachments)
        await self._add_watchers(log, message, now)
        if ticket.watchers:
            await tx.update_ticket(ticket, now)
        data: dict[str, Any] = {
            "channel": message.channel,
            "inbox_id": inbox_id,
            "plan": plan,
            "organisation": ticket.organisation,
            "priority": priority,
            "priority_reason": request.priority_reason if request.priority else "default",
            "response_due": sla.response_due,
            "resolution_due": sla.resolution_due,
        }
        if request.ticket_ref or previous is not None:
            data["referenced"] = request.ticket_ref or (previous.number if previous else None)
        await log.event(now, "created", message.sender_address, data)
        reply = self._replies.acknowledgement(ticket, org, sla, request)
        if await self._over_acknowledgement_cap(tx, ticket.requester_address, now):
            cap = self._options.acknowledgements_per_hour
            await log.event(now, "acknowledgement_suppressed", "gateway", {"cap_per_hour": cap})
        else:
            await queue_reply(log, reply, now, sender=GATEWAY)
        await log.tell(self._observer, now)
        return ticket

    async def _over_acknowledgement_cap(self, tx: TicketWork, recipient: str, now: datetime) -> bool:
        """A loop that slips past every robot check still gets at most N acknowledgements an hour."""
        cap = self._options.acknowledgements_per_hour
        if cap <= 0:
            return False
        sent = await tx.count_replies_since(recipient, ACKNOWLEDGEMENT_KINDS, now - timedelta(hours=1))
        return sent >= cap

    def _incoming(self, request: WrittenRequest, direction: Direction) -> TicketMessage:
        message = request.message
        return TicketMessage(
            direction=direction,
            channel=message.channel,
            body=request.body,
            at=message.received_at,
            sender=message.sender_address,
            native_id=message.native_id,
            original_body=request.original_body,
            reply_to=message.reply_to,
        )
