"""The Slack channel: the agents' console (a ticket's parent message and its thread, the `SlackConsole` sender), the
Events API and interactivity sub-app (`slack_events_app`), the reader of what it commits, and phone calls recorded
by an operator through `/ticket` (`PhoneCall`, read from the modal's submission)."""

from adapters.slack.blocks import CONSOLE_ACTIONS, ConsoleTicket, ticket_blocks
from adapters.slack.console import SlackConsole
from adapters.slack.events import REFUSAL, SlackNotReady, slack_events_app
from adapters.slack.phone_call import PhoneCall, PhoneCallError, confirmation_view, phone_call_modal, read_phone_call
from adapters.slack.read import (
    CHANNEL,
    ConsoleAction,
    DirectMessage,
    SlackPayloadError,
    ThreadReply,
    read_slack_payload,
)

__all__ = [
    "CHANNEL",
    "CONSOLE_ACTIONS",
    "REFUSAL",
    "ConsoleAction",
    "ConsoleTicket",
    "DirectMessage",
    "PhoneCall",
    "PhoneCallError",
    "SlackConsole",
    "SlackNotReady",
    "SlackPayloadError",
    "ThreadReply",
    "confirmation_view",
    "phone_call_modal",
    "read_phone_call",
    "read_slack_payload",
    "slack_events_app",
    "ticket_blocks",
]
