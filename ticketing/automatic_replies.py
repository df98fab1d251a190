"""The replies the desk writes by itself: the acknowledgement of a new ticket (or the polite note that a sender is
not covered), and the confirmation that a client's restated priority was taken.

Each is worded by the admin's templates (`ReplyComposer`) from the ticket's facts and its SLA, and answers the
client's message on the ticket's channel, where the client asked answers to go.
"""

from __future__ import annotations

from collections.abc import Mapping

from ticketing.customers import Organisation
from ticketing.replies import ReplyComposer, ReplyFacts, build_reply, ticket_facts
from ticketing.sla import SlaPolicy, SlaResult
from ticketing.types import OutboundReply, Ticket, WrittenRequest

ACKNOWLEDGEMENT_KINDS = ("acknowledgement", "not_covered")
PRIORITY_CHANGED = "priority_changed"


class AutomaticReplies:
    def __init__(
        self,
        composer: ReplyComposer,
        sla: SlaPolicy,
        fallback_subject: Mapping[str, str],
        default_language: str,
    ) -> None:
        self._composer = composer
        self._sla = sla
        self._fallback_subject = fallback_subject
        self._default_language = default_language

    def acknowledgement(
        self, ticket: Ticket, org: Organisation | None, sla: SlaResult, request: WrittenRequest
    ) -> OutboundReply:
        """The acknowledgement of a new ticket; `not_covered` when the sender's plan has no SLA."""
        kind = ACKNOWLEDGEMENT_KINDS[0] if sla.covered else ACKNOWLEDGEMENT_KINDS[1]
        return self._reply(kind, f"{kind}:{ticket.number}", ticket, org, sla, request)

    def priority_changed(self, ticket: Ticket, org: Organisation | None, request: WrittenRequest) -> OutboundReply:
        """The confirmation that the client's follow-up changed the priority, with the new deadlines."""
        sla = self._sla.compute(ticket.priority, ticket.plan, ticket.clock_from, ticket.pauses)
        key = f"{PRIORITY_CHANGED}:{ticket.number}:{request.message.native_id}"
        return self._reply(PRIORITY_CHANGED, key, ticket, org, sla, request)

    def _reply(
        self, kind: str, key: str, ticket: Ticket, org: Organisation | None, sla: SlaResult, request: WrittenRequest
    ) -> OutboundReply:
        message = request.message
        facts = self.facts(ticket, org, sla, request)
        return build_reply(
            ticket,
            kind=kind,
            text=self._composer.render(kind, ticket.language, facts.as_context()),
            idempotency_key=key,
            answering=message.native_id,
            references=message.thread_hints,
            fallback_subject=self._subject(ticket.language),
            reply_to=message.reply_to,
        )

    def _subject(self, language: str) -> str:
        subjects = self._fallback_subject
        return subjects.get(language) or subjects.get(self._default_language) or "Support request"

    def facts(self, ticket: Ticket, org: Organisation | None, sla: SlaResult, request: WrittenRequest) -> ReplyFacts:
        return ticket_facts(ticket, org.name if org else None, sla, self._sla, request.priority is not None)
