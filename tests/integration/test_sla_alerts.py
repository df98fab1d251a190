"""The SLA monitor's alerts as the agents see them: the console sender against the fake Slack over loopback."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from adapters.slack.console import SlackConsole
from tests.conftest import project_texts
from tests.integration.test_slack_console import CONSOLE, ONCALL, Desk, console_reply, make_client
from tests.integration.test_slack_console import desk as desk  # the same desk: a console over the fake Slack

DUE = "2026-12-09T15:30:00+00:00"  # Wednesday 10:30 in Bogota


def alert(number: str, event: str, which: str = "resolution", **data: Any) -> Any:
    item = console_reply(number, "console_sla")
    fields = {"event": event, "which": which, "due": DUE, "organisation": "andina"} | data
    return replace(item, data=fields, idempotency_key=f"{number}-{event}-{len(data)}")


async def test_a_warning_is_a_thread_line_with_what_is_due_when_and_how_long_is_left(desk: Desk) -> None:
    number = await desk.open_ticket()
    await desk.console.send(await desk.summary(number))
    await desk.console.send(alert(number, "sla_warning", left_minutes=60, around_the_clock=False))
    [post] = desk.fake.calls_to("chat.postMessage")[1:]
    assert post.args["thread_ts"] == (await desk.thread(number) or ("", ""))[1]
    assert post.args["text"] == (
        f":hourglass_flowing_sand: *{number}*: quedan 1 h hábiles para la *resolución* (vence mié 9 dic 10:30 (GMT-5))."
    )
    assert post.args.get("reply_broadcast") in (False, "false", "0", None)
    await desk.console.send(alert(number, "sla_warning", "response", left_minutes=4, around_the_clock=True))
    assert "quedan 4 min para la *respuesta*" in desk.fake.calls_to("chat.postMessage")[-1].args["text"]


async def test_a_breach_is_shown_in_the_channel_paging_on_call_within_its_limits(desk: Desk) -> None:
    number = await desk.open_ticket()
    await desk.console.send(await desk.summary(number))  # a high ticket: its first post pages nobody
    for _ in range(3):
        await desk.console.send(alert(number, "sla_breached"))
    breaches = desk.fake.calls_to("chat.postMessage")[1:]
    assert [post.args.get("reply_broadcast") in (True, "true", "1") for post in breaches] == [True] * 3
    assert [post.args["text"].startswith(ONCALL) for post in breaches] == [True, True, False]  # 2 an hour per client
    assert (
        f"*{number}*: venció el plazo de *resolución* (mié 9 dic 10:30 (GMT-5)) sin cumplirse."
        in breaches[0].args["text"]
    )


async def test_the_summary_shows_a_missed_deadline(desk: Desk) -> None:
    number = await desk.open_ticket()
    await desk.change(number, breaches=("response",))
    await desk.console.send(await desk.summary(number))
    [post] = desk.fake.calls_to("chat.postMessage")
    fields = {
        field["text"].split("\n")[0]: field["text"]
        for block in post.args["blocks"]
        for field in block.get("fields", [])
    }
    assert ":rotating_light: *incumplido* · venció" in fields["*Respuesta*"]
    assert "incumplido" not in fields["*Resolución*"]


async def test_the_clients_reminder_is_a_thread_line_saying_when_the_ticket_closes(desk: Desk) -> None:
    number = await desk.open_ticket()
    await desk.console.send(await desk.summary(number))
    reminded = alert(number, "client_reminded", closes_at="2026-12-03T14:30:00+00:00")
    await desk.console.send(replace(reminded, data={k: v for k, v in reminded.data.items() if k != "which"}))
    post = desk.fake.calls_to("chat.postMessage")[-1]
    assert post.args["text"] == (
        f":bell: *{number}*: se le recordó al cliente la información pendiente; si no responde, el caso se cerrará "
        "el jue 3 dic 09:30 (GMT-5)."
    )
    assert post.args.get("reply_broadcast") in (False, "false", "0", None)


async def test_an_escalation_mentions_the_new_levels_group_with_who_and_why(desk: Desk) -> None:
    console = SlackConsole(
        client=make_client(desk.fake.base_url),
        channel_id=CONSOLE,
        store=desk.store,
        tz=ZoneInfo("America/Bogota"),
        texts=project_texts(),
        organisation_name=lambda key: None,
        level_groups={"2": "S0LEVEL2"},
    )
    number = await desk.open_ticket()
    await console.send(await desk.summary(number))
    for level, reason in ((2, "necesita <acceso> al firewall"), (3, "")):
        escalated = alert(number, "escalated", to=level, reason=reason, actor="U0AGENT")
        await console.send(replace(escalated, idempotency_key=f"esc-{level}"))
    second, third = (post.args["text"] for post in desk.fake.calls_to("chat.postMessage")[-2:])
    assert second == (
        f"<!subteam^S0LEVEL2> :arrow_double_up: *{number}* escalado al nivel 2 por <@U0AGENT>: "
        "necesita &lt;acceso&gt; al firewall"
    )
    assert third == f":arrow_double_up: *{number}* escalado al nivel 3 por <@U0AGENT> (sin motivo escrito)"
