"""What the desk tells a client on its own about an open ticket, worded by the admin's templates:

- `accepted`: an agent accepted a request first not covered; its deadlines, counted from the acceptance;
- `information_reminder`: the agent asked for information and none came within the client's hours (the
  agreement's 8 business hours); when the ticket will close without it (`closes_at`);
- `closed_unanswered`: the ticket closed without that information; writing again opens a new one;
- `resolved`: the ticket is resolved, at which level (`level`), and until when an answer reopens it
  (`reopen_until`).

Each goes to the ticket's channel, threaded under the client's latest message, like an agent's reply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ticketing.lifecycle import GATEWAY, conversation_reply, queue_reply
from ticketing.observer import TicketLog
from ticketing.replies import ReplyComposer, ticket_facts
from ticketing.sla import SlaPolicy
from ticketing.types import Ticket

ACCEPTED = "accepted"
REMINDER = "information_reminder"
CLOSED_UNANSWERED = "closed_unanswered"
RESOLVED_NOTICE = "resolved"
NOTICE_KINDS = (ACCEPTED, REMINDER, CLOSED_UNANSWERED, RESOLVED_NOTICE)


class ClientNotices:
    def __init__(
        self,
        composer: ReplyComposer,
        sla: SlaPolicy,
        organisation_name: Callable[[str | None], str | None],
        fallback_subject: Mapping[str, str],
        default_language: str,
    ) -> None:
        self._composer = composer
        self._sla = sla
        self._organisation_name = organisation_name
        self._fallback_subject = fallback_subject
        self._default_language = default_language

    async def send(self, log: TicketLog, kind: str, key: str, now: datetime, extra: Mapping[str, Any]) -> None:
        """Queue notice `kind` to the ticket's client (once per `key`), with `extra` facts for its template."""
        ticket = log.ticket
        text = self._composer.render(kind, ticket.language, {**self._facts(ticket), **extra}).rstrip()
        subject = self._fallback_subject.get(ticket.language) or self._fallback_subject.get(self._default_language, "")
        reply = await conversation_reply(log, kind, text, key, subject)
        await queue_reply(log, reply, now, sender=GATEWAY)

    def _facts(self, ticket: Ticket) -> dict[str, Any]:
        result = self._sla.compute(ticket.priority, ticket.plan, ticket.clock_from, ticket.pauses)
        name = self._organisation_name(ticket.organisation)
        return ticket_facts(ticket, name, result, self._sla, priority_stated=True).as_context()
