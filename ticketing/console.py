"""The agents' console: where every ticket has a live summary and a thread (Slack, today).

The core only queues what the console should show — "refresh this ticket's summary", "post this line in its
thread" — on the outbox, in the same transaction as the change; the console's sender renders and delivers it.
Console posts are not messages to the client and never appear in a ticket's conversation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from ticketing.types import OutboundReply

SUMMARY = "console_ticket"
THREAD_LINE = "console_message"


@dataclass(frozen=True)
class Console:
    channel: str  # the outbox channel of the console's sender, e.g. "slack_console"
    destination: str  # where it posts, e.g. the agents' Slack channel id


def _post(console: Console, number: str, kind: str, text: str, key: str) -> OutboundReply:
    return OutboundReply(
        ticket_number=number,
        channel=console.channel,
        recipient=console.destination,
        subject="",
        text=text,
        message_key=f"console-{uuid.uuid4().hex}",
        thread_key="",
        references=(),
        idempotency_key=key,
        kind=kind,
    )


def summary_refresh(console: Console, number: str) -> OutboundReply:
    """Post the ticket's summary (the thread's parent message), or update it with the ticket's current state."""
    return _post(console, number, SUMMARY, "", f"console:{number}:summary:{uuid.uuid4().hex}")


def thread_line(console: Console, number: str, text: str, key: str) -> OutboundReply:
    """One line in the ticket's thread: a client's message, a delivery confirmation, a change of state."""
    return _post(console, number, THREAD_LINE, text, f"console:{number}:{key}")
