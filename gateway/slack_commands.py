"""What agents do in the Slack console, turned into the core's agent actions.

The Slack events sub-app commits every event and button click to the durable inbox before it acks; the pipeline
then reads each one here: a reply in a ticket's thread goes to the client (or stays an internal note), a button
changes the ticket. Every command is idempotent, so a crash and a retry repeat nothing visible.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from adapters.slack.read import ConsoleAction, DirectMessage, ThreadReply, read_slack_payload
from ticketing.agent_actions import AgentActions, TicketNotFound
from ticketing.service import IngestOutcome
from ticketing.store.base import Store
from ticketing.types import InboxItem, Priority, Status


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


@dataclass(frozen=True)
class NotYetHandled:
    reason: str

    async def run(self) -> IngestOutcome:
        return IngestOutcome("ignored", None, self.reason)


class SlackReader:
    """The inbox pipeline's reader for the "slack" channel."""

    def __init__(self, store: Store, agents: AgentActions) -> None:
        self._store = store
        self._agents = agents

    async def __call__(self, item: InboxItem) -> ThreadReplyCommand | ConsoleActionCommand | NotYetHandled:
        meta: Mapping[str, object] = item.meta
        payload = await asyncio.to_thread(read_slack_payload, item.raw, str(meta.get("kind", "event")))
        if isinstance(payload, ThreadReply):
            return ThreadReplyCommand(payload, self._store, self._agents)
        if isinstance(payload, ConsoleAction):
            return ConsoleActionCommand(payload, self._agents)
        assert isinstance(payload, DirectMessage)
        return NotYetHandled("messages from clients on Slack are not handled yet (retry it once they are)")
