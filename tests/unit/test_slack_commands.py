"""The console's buttons, read from committed Slack payloads, change the ticket as the agent asked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.slack.agent_commands import SlackReader
from adapters.slack.ask_modal import ask_modal
from normalizer import LanguageDetector, Normalizer
from tests.unit.desk import MONDAY_9, Desk
from ticketing.types import InboxItem, Priority, Status


def click(action_id: str, value: str) -> InboxItem:
    action: dict[str, Any] = {"action_id": action_id, "block_id": "ticket:TL-000001", "action_ts": "1.000001"}
    if action_id in ("priority", "resolve"):
        action["selected_option"] = {"value": value}
    else:
        action["value"] = value
    payload = {
        "type": "block_actions",
        "user": {"id": "U0AGENT"},
        "channel": {"id": "C0CONSOLE"},
        "container": {"type": "message", "message_ts": "9.000001", "channel_id": "C0CONSOLE"},
        "actions": [action],
    }
    return InboxItem(
        1, "slack", f"action:{action_id}", json.dumps(payload).encode(), {"kind": "action"}, MONDAY_9, "pending", 0, ""
    )


@pytest.mark.parametrize(
    ("action_id", "value", "expected"),
    [
        ("take", "TL-000001", lambda t: t.assignee == "U0AGENT"),
        ("waiting", "TL-000001", lambda t: t.status is Status.WAITING_ON_CLIENT and t.paused_since is not None),
        ("priority", "critical", lambda t: t.priority is Priority.CRITICAL),
        ("resolve", "2", lambda t: t.status is Status.RESOLVED and t.level == 2),
        ("escalate", "TL-000001", lambda t: t.level == 2),  # one level at a time
    ],
)
async def test_console_buttons(desk: Desk, action_id: str, value: str, expected: Any) -> None:
    await desk.receive("ana@andina.com.co")
    reader = SlackReader(desk.store, desk.agents, Normalizer("TL", LanguageDetector("es")), "CO", lambda: desk.now)
    command = await reader(click(action_id, value))
    outcome = await command.run()  # type: ignore[union-attr]
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
        assert ticket is not None and ticket.id is not None
        events = await tx.events(ticket.id)
    assert outcome.ticket_number == "TL-000001" and expected(ticket)
    assert events[-1].actor == "U0AGENT"  # the audit trail says who did it


async def test_reanudar_resumes_a_ticket_waiting_on_the_client(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co")
    reader = SlackReader(desk.store, desk.agents, Normalizer("TL", LanguageDetector("es")), "CO", lambda: desk.now)
    for action_id in ("waiting", "resume"):
        command = await reader(click(action_id, "TL-000001"))
        await command.run()  # type: ignore[union-attr]
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
    assert ticket is not None and ticket.status is Status.OPEN and ticket.paused_since is None
    assert len(ticket.pauses) == 1  # the wait is counted out of the deadlines


async def test_a_question_from_the_modal_goes_to_the_client_and_the_ticket_waits(desk: Desk) -> None:
    await desk.receive("ana@andina.com.co")
    view = ask_modal("TL-000001") | {"id": "V0Q", "state": {"values": {"question": {"text": {"value": "¿El log?"}}}}}
    payload = {"type": "view_submission", "user": {"id": "U0AGENT"}, "team": {"id": "T0"}, "view": view}
    item = InboxItem(2, "slack", "ask:V0Q", json.dumps(payload).encode(), {"kind": "ask"}, MONDAY_9, "pending", 0, "")
    reader = SlackReader(desk.store, desk.agents, Normalizer("TL", LanguageDetector("es")), "CO", lambda: desk.now)
    for _ in range(2):  # the same submission read again (a retry) queues one question
        outcome = await (await reader(item)).run()  # type: ignore[union-attr]
    async with desk.store.transaction() as tx:
        ticket = await tx.get_ticket("TL-000001")
        replies = [i.reply for i in await tx.list_outbox() if i.reply.kind == "agent_reply"]
    assert outcome.reason == "question for the client"
    assert ticket is not None and ticket.status is Status.WAITING_ON_CLIENT and ticket.paused_since is not None
    assert [reply.text for reply in replies] == ["¿El log?"]
