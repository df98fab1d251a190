"""What arrives from Slack, read by the inbox pipeline: agents' commands and clients' direct messages.

The Slack events sub-app commits every event and button click to the durable inbox before it acks; the pipeline
then reads each one here: a reply in a ticket's thread goes to the client (or stays an internal note), a button
changes the ticket, and a client's direct message to the app is a written request like any other. In "direct"
mode a reply is held back for the grace period: deleting it in Slack cancels it, editing it sends the new words,
and adding "nota:" in an edit keeps it as an internal note. Every command is idempotent, so a crash and a retry
repeat nothing visible.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from adapters.slack import CHANNEL, CONSOLE_CHANNEL
from adapters.slack.ask_modal import InformationRequest
from adapters.slack.call_intake import KIND as PHONE_CALL
from adapters.slack.call_intake import call_request
from adapters.slack.client_sender import message_id
from adapters.slack.console_events import PROMPT
from adapters.slack.read import (
    ConsoleAction,
    DirectMessage,
    ReplyEdited,
    ReplyWithdrawn,
    ThreadReply,
    deletion_id,
    read_slack_payload,
)
from normalizer import Normalizer
from ticketing.agent_actions import AgentActions, Held, TicketNotFound
from ticketing.ports import ConsoleThreads, InboxLookup, OutboxQueue, UnitOfWork
from ticketing.types import (
    InboundMessage,
    InboxItem,
    IngestOutcome,
    OutboundReply,
    Priority,
    Status,
    Trust,
    WrittenRequest,
)


class CommandWork(ConsoleThreads, InboxLookup, OutboxQueue, Protocol):
    """What agents' commands read and queue: the ticket of a thread, a reply to confirm, a private prompt."""


CommandStore = UnitOfWork[CommandWork]


@dataclass(frozen=True)
class ThreadReplyCommand:
    reply: ThreadReply
    store: CommandStore
    agents: AgentActions
    confirm: bool  # "confirm" mode: ask the agent before anything reaches the client
    clock: Callable[[], datetime]
    grace: timedelta = timedelta(0)  # "direct" mode: how long a reply waits, so its author can delete or edit it

    async def run(self) -> IngestOutcome:
        reply = self.reply
        async with self.store.transaction() as tx:
            number = await tx.ticket_for_console_thread(reply.channel, reply.thread_ts)
            if number is not None and self.confirm and not reply.internal and not reply.escalate:
                await tx.enqueue_reply(confirmation_prompt(number, reply), self.clock())
                return IngestOutcome("added", number, "waiting for the agent to confirm")
        if number is None:
            return IngestOutcome("ignored", None, "a thread that is not a ticket's")
        if reply.escalate:
            try:
                await self.agents.escalate(number, reply.user, reply.text)
            except ValueError as error:  # already at the third level
                return IngestOutcome("ignored", number, str(error))
            return IngestOutcome("added", number, "escalated")
        await self.agents.reply(
            number, reply.user, reply.text, reply.key, internal=reply.internal, hold=self.grace, ask=reply.ask
        )
        return IngestOutcome("added", number, "internal note" if reply.internal else "agent reply")


@dataclass(frozen=True)
class HeldReplyCommand:
    """An agent deleted or edited a reply in a ticket's thread: a reply still held back is cancelled or
    rewritten (an edit that adds "nota:" keeps it as a note); one already sent is recorded as too late. In
    "confirm" mode an edit of a reply not sent yet asks its author again, with the new words."""

    change: ReplyWithdrawn | ReplyEdited
    agents: AgentActions
    store: CommandStore
    confirm: bool
    clock: Callable[[], datetime]

    async def run(self) -> IngestOutcome:
        change = self.change
        if isinstance(change, ReplyWithdrawn):
            held, number = await self.agents.withdraw(change.key, change.user)
        elif change.internal:
            held, number = await self.agents.withdraw(change.key, change.user, note=change.text)
        else:
            held, number = await self.agents.revise(change.key, change.user, change.text)
        if held is Held.UNKNOWN and self.confirm and isinstance(change, ReplyEdited) and not change.internal:
            return await self._ask_again(change)
        if held is Held.UNKNOWN:
            return IngestOutcome("ignored", None, "a change to no reply waiting to be sent")
        return IngestOutcome("added", number, "held reply changed" if held is Held.DONE else "reply already sent")

    async def _ask_again(self, edit: ReplyEdited) -> IngestOutcome:
        async with self.store.transaction() as tx:
            number = await tx.ticket_for_console_thread(edit.channel, edit.thread_ts)
            if number is not None:
                await tx.enqueue_reply(confirmation_prompt(number, edit), self.clock())
        if number is None:
            return IngestOutcome("ignored", None, "an edit in a thread that is not a ticket's")
        return IngestOutcome("added", number, "edited: waiting for the agent to confirm")


def confirmation_prompt(number: str, reply: ThreadReply | ReplyEdited) -> OutboundReply:
    """The private question to the reply's author; its buttons carry the reply's (or its edit's) event id."""
    return OutboundReply(
        ticket_number=number,
        channel=CONSOLE_CHANNEL,
        recipient=reply.user,
        subject="",
        text=reply.text,
        message_key=f"prompt-{reply.event_id}",
        thread_key=reply.event_id,
        references=(),
        idempotency_key=f"prompt:{reply.event_id}",
        kind=PROMPT,
    )


@dataclass(frozen=True)
class ConsoleActionCommand:
    action: ConsoleAction
    agents: AgentActions
    store: CommandStore

    async def run(self) -> IngestOutcome:
        action, number, user = self.action.action, self.action.ticket_number, self.action.user
        try:
            if action == "take":
                await self.agents.assign(number, user, user)
            elif action == "waiting":
                await self.agents.change_status(number, Status.WAITING_ON_CLIENT, user)
            elif action == "resume":
                await self.agents.change_status(number, Status.OPEN, user)
            elif action == "accept":
                await self.agents.accept(number, self.action.value, user)
            elif action == "priority":
                await self.agents.change_priority(number, Priority(self.action.value), user)
            elif action == "resolve":
                await self.agents.change_status(number, Status.RESOLVED, user, level=int(self.action.value))
            elif action == "escalate":
                await self.agents.escalate(number, user, "")
            elif action in ("confirm_send", "confirm_note"):
                return await self._confirmed(action == "confirm_note")
            else:
                return IngestOutcome("ignored", number, f"unknown console action {action!r}")
        except TicketNotFound:
            return IngestOutcome("ignored", None, f"no ticket {number}")
        except ValueError as error:  # a plan the agreement does not cover (the console offers only covered ones)
            return IngestOutcome("ignored", number, str(error))
        return IngestOutcome("added", number, f"console action {action}")

    async def _confirmed(self, internal: bool) -> IngestOutcome:
        """The agent chose where their reply goes: find it (the button carries its event id) and act."""
        event_id = self.action.value
        async with self.store.transaction() as tx:
            item = await tx.inbox_item_by_native_id(CHANNEL, event_id)
        if item is None:
            return IngestOutcome("ignored", self.action.ticket_number, f"no reply {event_id} to confirm")
        reply = read_slack_payload(item.raw, "event")
        assert isinstance(reply, ThreadReply | ReplyEdited)  # a reply, or its edit asked about again
        number = self.action.ticket_number
        async with self.store.transaction() as tx:
            deleted = await tx.inbox_item_by_native_id(CHANNEL, deletion_id(reply.channel, reply.ts))
        if deleted is not None and not internal:
            return IngestOutcome("ignored", number, "the reply was deleted before it was confirmed: nothing sent")
        ask = isinstance(reply, ThreadReply) and reply.ask
        await self.agents.reply(number, self.action.user, reply.text, reply.key, internal=internal, ask=ask)
        return IngestOutcome("added", number, "confirmed as internal note" if internal else "confirmed agent reply")


@dataclass(frozen=True)
class AskCommand:
    """The "Solicitar información" modal's question: sent to the client, the ticket waiting on the client."""

    asked: InformationRequest
    agents: AgentActions

    async def run(self) -> IngestOutcome:
        asked = self.asked
        try:
            await self.agents.reply(asked.ticket_number, asked.user, asked.text, asked.key, ask=True)
        except TicketNotFound:
            return IngestOutcome("ignored", None, f"no ticket {asked.ticket_number}")
        return IngestOutcome("added", asked.ticket_number, "question for the client")


Command = ThreadReplyCommand | HeldReplyCommand | ConsoleActionCommand | AskCommand


def client_message(dm: DirectMessage, received_at: datetime, shared_channel: bool) -> InboundMessage:
    """A client's message to the app, as a written request's raw material. In a shared (Slack Connect) channel the
    requester is the channel: everyone there speaks for the organisation, and replies go back to it."""
    return InboundMessage(
        sender_trust=Trust.VERIFIED,  # Slack signed the event and names the user
        channel=CHANNEL,
        native_id=message_id(dm.channel, dm.ts),
        sender_address=dm.channel if shared_channel else dm.user,
        sender_name=f"<@{dm.user}>" if shared_channel else "",
        recipient=dm.channel,
        subject="",
        text=dm.text,
        html="",
        received_at=received_at,
        thread_hints=(message_id(dm.channel, dm.thread_ts),) if dm.thread_ts else (),
    )


class SlackReader:
    """The inbox pipeline's reader for the "slack" channel: agents' commands, and clients' direct messages."""

    def __init__(
        self,
        store: CommandStore,
        agents: AgentActions,
        normalizer: Normalizer,
        region: str,
        clock: Callable[[], datetime],
        confirm: bool = False,
        grace: timedelta = timedelta(0),
    ) -> None:
        self._confirm = confirm
        self._grace = grace
        self._clock = clock
        self._store = store
        self._agents = agents
        self._normalizer = normalizer
        self._region = region

    def _read(self, item: InboxItem) -> Command | WrittenRequest:
        meta: Mapping[str, object] = item.meta
        kind = str(meta.get("kind", "event"))
        if kind == PHONE_CALL:  # normally made into a ticket at once; this finishes one that was interrupted
            return call_request(item.raw, item.received_at, self._region, self._normalizer)
        payload = read_slack_payload(item.raw, kind)
        if isinstance(payload, ThreadReply):
            grace = timedelta(0) if self._confirm else self._grace
            return ThreadReplyCommand(payload, self._store, self._agents, self._confirm, self._clock, grace)
        if isinstance(payload, ReplyWithdrawn | ReplyEdited):
            return HeldReplyCommand(payload, self._agents, self._store, self._confirm, self._clock)
        if isinstance(payload, ConsoleAction):
            return ConsoleActionCommand(payload, self._agents, self._store)
        if isinstance(payload, InformationRequest):
            return AskCommand(payload, self._agents)
        return self._normalizer.normalize(client_message(payload, item.received_at, kind == "client_event"))

    async def __call__(self, item: InboxItem) -> Command | WrittenRequest:
        return await asyncio.to_thread(self._read, item)
