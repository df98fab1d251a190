"""Committed Slack bodies -> ThreadReply / ConsoleAction / DirectMessage: one table of cases, plus the refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.read import (
    ConsoleAction,
    DirectMessage,
    ReplyEdited,
    ReplyWithdrawn,
    SlackPayloadError,
    ThreadReply,
    read_slack_payload,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks" / "slack"
PARENT = "1764511200.000001"


def event(**fields: Any) -> bytes:
    """An Events API body for a message in the console channel, as Slack sends it."""
    message = {
        "type": "message",
        "channel": "C111",
        "user": "U0AGENT",
        "text": "Hola",
        "ts": "1764511300.000100",
        "thread_ts": PARENT,
        "channel_type": "channel",
        "event_ts": "1764511300.000100",
    }
    message.update(fields)
    message = {key: value for key, value in message.items() if value is not None}
    body = {
        "token": "t",
        "team_id": "T111",
        "api_app_id": "A111",
        "type": "event_callback",
        "event_id": "Ev01",
        "event": message,
    }
    return json.dumps(body).encode()


def action(action_id: str = "take", **fields: Any) -> bytes:
    """A block_actions payload for one click on a ticket's parent message."""
    item: dict[str, Any] = {"action_id": action_id, "block_id": "ticket:TL-000123", "action_ts": "1764511400.123456"}
    if action_id in ("take", "waiting", "resume", "escalate"):
        item.update(type="button", text={"type": "plain_text", "text": "Tomar"}, value="TL-000123")
    else:
        item.update(type="static_select", selected_option={"text": {"type": "plain_text", "text": "x"}, "value": "2"})
    item.update(fields)
    payload = {
        "type": "block_actions",
        "team": {"id": "T111", "domain": "tecnolinux"},
        "user": {"id": "U0AGENT", "username": "carlos", "team_id": "T111"},
        "api_app_id": "A111",
        "container": {"type": "message", "message_ts": PARENT, "channel_id": "C111", "is_ephemeral": False},
        "channel": {"id": "C111", "name": "soporte"},
        "message": {"type": "message", "ts": PARENT, "text": "Ticket TL-000123"},
        "response_url": "https://hooks.slack.com/actions/T111/1/abc",
        "actions": [item],
    }
    return json.dumps(payload).encode()


def reply(text: str, internal: bool, ask: bool = False, escalate: bool = False) -> ThreadReply:
    return ThreadReply("Ev01", "C111", PARENT, "1764511300.000100", "U0AGENT", text, internal, ask, escalate)


REPLY_TS = "1764511300.000100"


def change(subtype: str, text: str = "Hola de nuevo", edited_ts: str = REPLY_TS, **previous: Any) -> bytes:
    """An agent's deletion or edit of their thread reply, as Slack nests it (`previous_message`, `message`)."""
    before = {"type": "message", "user": "U0AGENT", "text": "Hola", "ts": REPLY_TS, "thread_ts": PARENT}
    before.update(previous)
    event_fields: dict[str, Any] = {
        "type": "message",
        "subtype": subtype,
        "hidden": True,
        "channel": "C111",
        "ts": "1764511330.000200",
        "event_ts": "1764511330.000200",
        "channel_type": "channel",
        "previous_message": {key: value for key, value in before.items() if value is not None},
    }
    if subtype == "message_deleted":
        event_fields["deleted_ts"] = REPLY_TS
    else:
        edited = {"user": "U0AGENT", "ts": "1764511330.000200"}
        event_fields["message"] = {**event_fields["previous_message"], "text": text, "edited": edited, "ts": edited_ts}
    body = {"type": "event_callback", "team_id": "T111", "event_id": "Ev02", "event": event_fields}
    return json.dumps(body).encode()


def console_action(name: str, value: str) -> ConsoleAction:
    native_id = f"action:{PARENT}:{name}:1764511400.123456"
    return ConsoleAction(native_id, "C111", PARENT, "U0AGENT", name, value, "TL-000123")


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        (event(text="Ya reiniciamos el servidor."), "event", reply("Ya reiniciamos el servidor.", False)),
        (event(text="a &lt; b &amp;&amp; c &gt; d"), "event", reply("a < b && c > d", False)),
        (event(text="&amp;lt; stays literal"), "event", reply("&lt; stays literal", False)),
        (
            event(text="<@U0ANA> revisa <#C222|redes> y <https://x.co|esto>"),
            "event",
            reply("<@U0ANA> revisa <#C222|redes> y <https://x.co|esto>", False),
        ),
        (event(text="nota: el cliente no contesta"), "event", reply("el cliente no contesta", True)),
        (event(text="  NOTA :llamar mañana"), "event", reply("llamar mañana", True)),
        (event(text="Note: vendor case 42"), "event", reply("vendor case 42", True)),
        (event(text="notas: no es nota"), "event", reply("notas: no es nota", False)),
        (event(text="Sin nota: esto sí va al cliente"), "event", reply("Sin nota: esto sí va al cliente", False)),
        (event(text="pedir: ¿Nos envía el log?"), "event", reply("¿Nos envía el log?", False, ask=True)),
        (event(text=" Ask : the exact error?"), "event", reply("the exact error?", False, ask=True)),
        (event(text="nota: pedir: el log"), "event", reply("pedir: el log", True)),  # a note never asks the client
        (event(text="Voy a pedir: el log"), "event", reply("Voy a pedir: el log", False)),
        (event(text="escalar: requiere al fabricante"), "event", reply("requiere al fabricante", False, escalate=True)),
        (event(text="Escalate:firewall access"), "event", reply("firewall access", False, escalate=True)),
        (event(subtype="thread_broadcast", text="también al canal"), "event", reply("también al canal", False)),
        (event(text=None, subtype="file_share"), "event", reply("", False)),
        (
            event(channel="D0ANA", channel_type="im", user="U0ANA", thread_ts=None, text="Mi VPN no conecta &gt;:("),
            "event",
            DirectMessage("Ev01", "D0ANA", "U0ANA", "Mi VPN no conecta >:(", "1764511300.000100", None),
        ),
        (
            event(channel="D0ANA", channel_type="im", user="U0ANA", text="nota: sigue igual"),
            "event",
            DirectMessage("Ev01", "D0ANA", "U0ANA", "nota: sigue igual", "1764511300.000100", PARENT),
        ),
        (change("message_deleted"), "event", ReplyWithdrawn("Ev02", "C111", REPLY_TS, "U0AGENT")),
        (
            change("message_changed"),
            "event",
            ReplyEdited("Ev02", "C111", REPLY_TS, "U0AGENT", "Hola de nuevo", False, PARENT),
        ),
        (
            change("message_changed", text="nota: el cliente &lt;no&gt; paga"),
            "event",
            ReplyEdited("Ev02", "C111", REPLY_TS, "U0AGENT", "el cliente <no> paga", True, PARENT),
        ),
        (action("take"), "action", console_action("take", "TL-000123")),
        (action("waiting"), "action", console_action("waiting", "TL-000123")),
        (action("resume"), "action", console_action("resume", "TL-000123")),
        (action("escalate"), "action", console_action("escalate", "TL-000123")),
        (action("resolve"), "action", console_action("resolve", "2")),
        (
            action(
                "priority", selected_option={"text": {"type": "plain_text", "text": "Crítico"}, "value": "critical"}
            ),
            "action",
            console_action("priority", "critical"),
        ),
        (action("take", block_id="x1Yz"), "action", console_action("take", "TL-000123")),
    ],
)
def test_read(raw: bytes, kind: str, expected: object) -> None:
    assert read_slack_payload(raw, kind) == expected


@pytest.mark.parametrize(
    ("raw", "kind", "reason"),
    [
        (b"\xff\xfe", "event", "not a JSON body"),
        (b"{not json", "event", "not a JSON body"),
        (b"[1, 2]", "event", "not a JSON object"),
        (event(), "command", "unknown kind"),
        (b'{"type": "url_verification", "challenge": "x"}', "event", "not an Events API event_callback"),
        (
            json.dumps({"type": "event_callback", "event_id": "Ev1", "event": {"type": "reaction_added"}}).encode(),
            "event",
            "is not a message",
        ),
        (event(user=None), "event", "has no user"),
        (event(thread_ts=None), "event", "not a reply in a thread"),
        (event(thread_ts="1764511300.000100"), "event", "not a reply in a thread"),
        (change("message_deleted", thread_ts=None), "event", "not a reply in a thread"),
        (change("message_deleted", thread_ts=REPLY_TS), "event", "not a reply in a thread"),
        (change("message_deleted", user=None), "event", "has no user"),
        (change("message_changed", edited_ts="1.2"), "event", "is not the previous message"),
        (action("take").replace(b"block_actions", b"view_submission"), "action", "is not block_actions"),
        (action("vote"), "action", "not a console action"),
        (action("priority", selected_option={"value": "urgent"}), "action", "no valid selected option"),
        (action("resolve", selected_option=None), "action", "no valid selected option"),
        (action("resolve", block_id="x1Yz"), "action", "names no ticket"),
        (action("take", block_id="x1Yz", value="hola"), "action", "names no ticket"),
        (action("take").replace(b'"message_ts": "1764511200.000001", ', b""), "action", "has no message_ts"),
    ],
)
def test_refused(raw: bytes, kind: str, reason: str) -> None:
    with pytest.raises(SlackPayloadError, match=reason):
        read_slack_payload(raw, kind)


def test_a_payload_with_two_actions_is_refused() -> None:
    payload = json.loads(action("take"))
    payload["actions"] *= 2
    with pytest.raises(SlackPayloadError, match="exactly one action"):
        read_slack_payload(json.dumps(payload).encode(), "action")


def test_bolts_thread_broadcast_fixture_reads_as_a_thread_reply() -> None:
    raw = (FIXTURES / "message_thread_broadcast.json").read_bytes()
    assert read_slack_payload(raw, "event") == ThreadReply(
        "Ev111", "C111", "1633663824.000500", "1633670813.007500", "U111", "Hi there!", False
    )
