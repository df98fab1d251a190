"""What arrives from Slack, read by the inbox pipeline: agents' commands and clients' direct messages.

The Slack events sub-app commits every event and button click to the durable inbox before it acks; the pipeline
then reads each one here: a reply in a ticket's thread goes to the client (or stays an internal note), a button
changes the ticket, and a client's direct message to the app is a written request like any other. Every command
is idempotent, so a crash and a retry repeat nothing visible.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from adapters.slack.client_sender import message_id
from adapters.slack.read import ConsoleAction, DirectMessage, ThreadReply, read_slack_payload
from gateway.phone_calls import KIND as PHONE_CALL
from gateway.phone_calls import call_request
from normalizer import Normalizer
from ticketing.agent_actions import AgentActions, TicketNotFound
from ticketing.service import IngestOutcome
from ticketing.store.base import Store
from ticketing.types import InboundMessage, InboxItem, Priority, Status, WrittenRequest

CHANNEL = "slack"


@dataclass(frozen=True)
class ThreadReplyCommand:
    reply: ThreadReply
    store: Store
    agents: AgentActions

    async def run(self) -> IngestOutcome:
        async with self.store.transaction() as tx:
            number = await tx.ticket_for_console_thread(self.reply.channel, self.reply.thread_ts)
        if number is None:
            return IngestOutcome("ignored", None, "a thread that is not a ticket's")
        key = f"slack:{self.reply.event_id}"
        await self.agents.reply(number, self.reply.user, self.reply.text, key, internal=self.reply.internal)
        return IngestOutcome("added", number, "internal note" if self.reply.internal else "agent reply")


@dataclass(frozen=True)
class ConsoleActionCommand:
    action: ConsoleAction
    agents: AgentActions

    async def run(self) -> IngestOutcome:
        action, number, user = self.action.action, self.action.ticket_number, self.action.user
        try:
            if action == "take":
                await self.agents.assign(number, user, user)
            elif action == "waiting":
                await self.agents.change_status(number, Status.WAITING_ON_CLIENT, user)
            elif action == "priority":
                await self.agents.change_priority(number, Priority(self.action.value), user)
            elif action == "resolve":
                await self.agents.change_status(number, Status.RESOLVED, user, level=int(self.action.value))
            elif action == "escalate":
                await self.agents.escalate(number, user)
            else:
                return IngestOutcome("ignored", number, f"unknown console action {action!r}")
        except TicketNotFound:
            return IngestOutcome("ignored", None, f"no ticket {number}")
        return IngestOutcome("added", number, f"console action {action}")


def client_message(dm: DirectMessage, received_at: datetime) -> InboundMessage:
    """A client's direct message to the app, as a written request's raw material."""
    return InboundMessage(
        channel=CHANNEL,
        native_id=message_id(dm.channel, dm.ts),
        sender_address=dm.user,
        sender_name="",
        recipient=dm.channel,
        subject="",
        text=dm.text,
        html="",
        received_at=received_at,
        thread_hints=(message_id(dm.channel, dm.thread_ts),) if dm.thread_ts else (),
    )


class SlackReader:
    """The inbox pipeline's reader for the "slack" channel: agents' commands, and clients' direct messages."""

    def __init__(self, store: Store, agents: AgentActions, normalizer: Normalizer, region: str) -> None:
        self._store = store
        self._agents = agents
        self._normalizer = normalizer
        self._region = region

    def _read(self, item: InboxItem) -> ThreadReplyCommand | ConsoleActionCommand | WrittenRequest:
        meta: Mapping[str, object] = item.meta
        kind = str(meta.get("kind", "event"))
        if kind == PHONE_CALL:  # normally made into a ticket at once; this finishes one that was interrupted
            return call_request(item.raw, item.received_at, self._region, self._normalizer)
        payload = read_slack_payload(item.raw, kind)
        if isinstance(payload, ThreadReply):
            return ThreadReplyCommand(payload, self._store, self._agents)
        if isinstance(payload, ConsoleAction):
            return ConsoleActionCommand(payload, self._agents)
        return self._normalizer.normalize(client_message(payload, item.received_at))

    async def __call__(self, item: InboxItem) -> ThreadReplyCommand | ConsoleActionCommand | WrittenRequest:
        return await asyncio.to_thread(self._read, item)
