"""What a committed Slack body means: an agent's reply in a ticket's thread, a click in the console, or a DM.

Pure functions, no I/O. The webhook commits two kinds of bodies (its `meta["kind"]`):
- "event": the Events API body exactly as Slack sent it (`event_callback` with a `message` event). A message in a
  direct conversation with the app (`channel_type` "im") is a `DirectMessage`; a reply inside a thread (a
  `thread_ts` other than its own `ts`) is a `ThreadReply`. An agent's reply starting with "nota:" or "note:"
  (any case) is an internal note: the prefix is removed and `internal` is set; one starting with "pedir:" or
  "ask:" asks the client for information (`ask`: the ticket then waits on the client); one starting with
  "escalar:" or "escalate:" escalates the ticket one level, the rest of the text saying why. An agent who
  deletes or edits a reply in a ticket's thread sends `message_deleted` / `message_changed`: a `ReplyWithdrawn` /
  `ReplyEdited` about the reply keyed by `reply_key(channel, ts)` (a reply held back for its grace period is cancelled
  or rewritten).
- "action": the `block_actions` payload of one click on a ticket's parent message (one action per payload).
- "ask": the `view_submission` of the "Solicitar información" modal: an `InformationRequest` (see ask_modal.py).

Slack sends message text with its mrkdwn escapes (&amp; &lt; &gt;): they are undone; user and channel mentions
(`<@U123>`, `<#C123>`) and links stay as Slack wrote them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from adapters.slack.ask_modal import KIND as ASK_KIND
from adapters.slack.ask_modal import InformationRequest, read_request
from adapters.slack.blocks import BLOCK_ID_PREFIX, BUTTON_ACTIONS, CONSOLE_ACTIONS, LEVEL_OPTIONS
from ticketing.types import Priority

NOTE_PREFIX = re.compile(r"^\s*(?:nota|note)\s*:\s*", re.IGNORECASE)
ASK_PREFIX = re.compile(r"^\s*(?:pedir|ask)\s*:\s*", re.IGNORECASE)
ESCALATE_PREFIX = re.compile(r"^\s*(?:escalar|escalate)\s*:\s*", re.IGNORECASE)
TICKET_NUMBER = re.compile(r"^[A-Za-z][A-Za-z0-9]*-\d+$")
PLAN_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")  # "accept" carries a plan; the agents' actions check it is covered
THREAD_CHANGES = ("message_deleted", "message_changed")
SELECT_VALUES = {"priority": tuple(priority.value for priority in Priority), "resolve": LEVEL_OPTIONS}


class SlackPayloadError(Exception):
    """The body is not something the console understands (the pipeline quarantines it with this reason)."""


def reply_key(channel: str, ts: str) -> str:
    """The outbox key of an agent's thread reply: the message's own (channel, ts), which its deletion and edits
    name too."""
    return f"slack-reply:{channel}:{ts}"


def deletion_id(channel: str, ts: str) -> str:
    """The inbox id of a thread reply's deletion: found again by the reply it names (a later "send" click on the
    confirmation of a deleted reply sends nothing)."""
    return f"deleted:{channel}:{ts}"


class _KeyedByTs:
    """A thread reply, or a change to one: named by the reply's own (channel, ts)."""

    channel: str
    ts: str

    @property
    def key(self) -> str:
        return reply_key(self.channel, self.ts)


@dataclass(frozen=True)
class ThreadReply(_KeyedByTs):
    event_id: str
    channel: str
    thread_ts: str
    ts: str  # the reply's own timestamp: with the channel, what its later edits and deletion name
    user: str
    text: str
    internal: bool  # "nota:"/"note:" prefix: an internal note, never sent to the client
    ask: bool = False  # "pedir:"/"ask:" prefix: a request for information; the ticket waits on the client
    escalate: bool = False  # "escalar:"/"escalate:" prefix: the ticket goes one level up, `text` saying why


@dataclass(frozen=True)
class ReplyWithdrawn(_KeyedByTs):
    """The agent deleted a reply in a ticket's thread."""

    event_id: str
    channel: str
    ts: str  # the deleted reply's
    user: str  # who wrote it


@dataclass(frozen=True)
class ReplyEdited(_KeyedByTs):
    """The agent edited a reply in a ticket's thread: its new text (a "nota:" prefix added makes it a note)."""

    event_id: str
    channel: str
    ts: str  # the edited reply's
    user: str
    text: str
    internal: bool
    thread_ts: str = ""  # the ticket's thread


@dataclass(frozen=True)
class ConsoleAction:
    native_id: str
    channel: str
    message_ts: str
    user: str
    action: str  # take|waiting|escalate|priority|resolve
    value: str  # the selected option's value (a priority, or level "1"-"3"); a button's own value
    ticket_number: str


@dataclass(frozen=True)
class DirectMessage:
    event_id: str
    channel: str
    user: str
    text: str
    ts: str
    thread_ts: str | None


SlackEvent = ThreadReply | DirectMessage | ReplyWithdrawn | ReplyEdited


def unescape(text: str) -> str:
    """Slack's mrkdwn escapes undone (&amp; last, so "&amp;lt;" stays "&lt;")."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def action_native_id(payload: dict[str, Any], action: dict[str, Any]) -> str:
    """The inbox id of one click: the same click retried by Slack has the same id."""
    message_ts = _text(payload.get("container"), "message_ts") or _text(payload.get("message"), "ts")
    return f"action:{message_ts}:{action.get('action_id', '')}:{action.get('action_ts', '')}"


def action_ticket_number(action: dict[str, Any]) -> str | None:
    """The ticket a console action is about: the actions block's `block_id`, else a button's value."""
    block_id = str(action.get("block_id") or "")
    if block_id.startswith(BLOCK_ID_PREFIX) and TICKET_NUMBER.match(block_id[len(BLOCK_ID_PREFIX) :]):
        return block_id[len(BLOCK_ID_PREFIX) :]
    value = str(action.get("value") or "")
    if action.get("action_id") in BUTTON_ACTIONS and TICKET_NUMBER.match(value):
        return value
    return None


def read_slack_payload(raw: bytes, kind: str) -> SlackEvent | ConsoleAction | InformationRequest:
    """What one committed body means; SlackPayloadError when it is nothing the console handles."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SlackPayloadError(f"not a JSON body: {error}") from error
    if not isinstance(body, dict):
        raise SlackPayloadError("the body is not a JSON object")
    if kind == "event":
        return _read_event(body)
    if kind == "client_event":  # a client's message in a shared (Slack Connect) channel
        return _read_event(body, client_channel=True)
    if kind == "action":
        return _read_action(body)
    if kind == ASK_KIND:  # a question for the client, from the "Solicitar información" modal
        asked = read_request(body)
        if asked is None:
            raise SlackPayloadError("a question from the modal without its ticket, author or text")
        return asked
    raise SlackPayloadError(f"unknown kind {kind!r} (expected 'event', 'client_event', 'action' or 'ask')")


def _text(container: Any, key: str) -> str:
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, str) else ""


def _required(container: Any, key: str, what: str) -> str:
    value = _text(container, key)
    if not value:
        raise SlackPayloadError(f"{what} has no {key}")
    return value


def _read_event(body: dict[str, Any], client_channel: bool = False) -> SlackEvent:
    event = body.get("event")
    if body.get("type") != "event_callback" or not isinstance(event, dict):
        raise SlackPayloadError("not an Events API event_callback")
    if event.get("type") != "message":
        raise SlackPayloadError(f"event type {event.get('type')!r} is not a message")
    event_id = _required(body, "event_id", "the event")
    if event.get("subtype") in THREAD_CHANGES and not client_channel:
        return _read_change(event_id, event)
    channel = _required(event, "channel", "the message")
    user = _required(event, "user", "the message")
    ts = _required(event, "ts", "the message")
    text = unescape(_text(event, "text"))
    thread_ts = _text(event, "thread_ts") or None
    if event.get("channel_type") == "im" or client_channel:
        return DirectMessage(event_id, channel, user, text, ts, thread_ts)
    if thread_ts is None or thread_ts == ts:
        raise SlackPayloadError("a channel message that is not a reply in a thread")
    text, internal = _note(text)
    ask = None if internal else ASK_PREFIX.match(text)
    escalate = None if internal or ask else ESCALATE_PREFIX.match(text)
    prefix = ask or escalate
    text = text[prefix.end() :] if prefix else text
    return ThreadReply(event_id, channel, thread_ts, ts, user, text, internal, bool(ask), bool(escalate))


def _note(text: str) -> tuple[str, bool]:
    """The text without its "nota:" prefix, and whether it had one."""
    note = NOTE_PREFIX.match(text)
    return (text[note.end() :], True) if note else (text, False)


def _read_change(event_id: str, event: dict[str, Any]) -> ReplyWithdrawn | ReplyEdited:
    """A deleted or edited reply in a thread: Slack nests the message (`previous_message`, `message`)."""
    channel = _required(event, "channel", "the change")
    before = event.get("previous_message")
    thread_ts = _text(before, "thread_ts")
    ts = _required(before, "ts", "the previous message")
    if not thread_ts or thread_ts == ts:
        raise SlackPayloadError("a change to a message that is not a reply in a thread")
    user = _required(before, "user", "the previous message")
    if event.get("subtype") == "message_deleted":
        return ReplyWithdrawn(event_id, channel, ts, user)
    after = event.get("message")
    if _text(after, "ts") != ts:
        raise SlackPayloadError("an edit whose message is not the previous message")
    text, internal = _note(unescape(_text(after, "text")))
    return ReplyEdited(event_id, channel, ts, user, text, internal, thread_ts)


def _read_action(payload: dict[str, Any]) -> ConsoleAction:
    if payload.get("type") != "block_actions":
        raise SlackPayloadError(f"payload type {payload.get('type')!r} is not block_actions")
    actions = payload.get("actions")
    if not isinstance(actions, list) or len(actions) != 1 or not isinstance(actions[0], dict):
        raise SlackPayloadError("a console action payload carries exactly one action")
    action: dict[str, Any] = actions[0]
    name = _required(action, "action_id", "the action")
    if name not in CONSOLE_ACTIONS:
        raise SlackPayloadError(f"action {name!r} is not a console action")
    if name in SELECT_VALUES or name == "accept":
        value = _text(action.get("selected_option"), "value")
        valid = PLAN_NAME.match(value) if name == "accept" else value in SELECT_VALUES[name]
        if not valid:
            raise SlackPayloadError(f"action {name!r} has no valid selected option ({value!r})")
    else:
        value = _text(action, "value")
    number = action_ticket_number(action)
    if number is None:
        raise SlackPayloadError(f"action {name!r} names no ticket")
    container = payload.get("container")
    return ConsoleAction(
        native_id=action_native_id(payload, action),
        channel=_text(payload.get("channel"), "id") or _required(container, "channel_id", "the container"),
        message_ts=_required(container, "message_ts", "the container"),
        user=_required(payload.get("user"), "id", "the user"),
        action=name,
        value=value,
        ticket_number=number,
    )
