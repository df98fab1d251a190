"""`gateway doctor`'s checks of the chat channels against the fakes on loopback. WhatsApp, on the fake Twilio (which
checks Basic auth as Twilio does): good credentials, wrong ones, an inactive account, a Messaging Service that does
not exist. Slack, on the fake Slack: the token, its scopes, the bot's membership of the agents' channel. A relay:
its bridge's callback answering on loopback, and one nobody answers on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from adapters.channel import CheckResult
from adapters.relay.channel import RelayChannel
from adapters.relay.settings import RelaySettings
from adapters.slack.channel import SlackChannel
from adapters.slack.settings import SlackSettings
from adapters.whatsapp.channel import WhatsAppChannel
from adapters.whatsapp.settings import WhatsAppSettings
from tests.conftest import free_port
from tests.fake_slack import FakeSlack
from tests.fake_twilio import FakeTwilio

ACCOUNT, TOKEN = "AC" + "d" * 32, "doctor-token-123"
SERVICE = "MG" + "1" * 32


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    fake = await FakeTwilio(ACCOUNT, TOKEN, services={SERVICE: "Soporte TecnoLinux"}).start()
    yield fake
    await fake.stop()


async def whatsapp(twilio: FakeTwilio, env: dict[str, str], services: list[str] | None = None) -> list[CheckResult]:
    section = WhatsAppSettings(
        from_number="+57 310 493 4656",
        public_base_url="https://gateway.example.com",
        api_base_url=twilio.base_url,
        messaging_service_sids=services or [],
    )
    return list(await WhatsAppChannel().check(section, env.get, lambda path: Path(path)))


async def test_good_credentials_an_active_account_and_a_service(twilio: FakeTwilio) -> None:
    found = await whatsapp(twilio, {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN}, [SERVICE])
    assert [(r.ok, r.detail) for r in found] == [
        (True, "account 'TecnoLinux' is active"),
        (True, "found: 'Soporte TecnoLinux'"),
    ]
    assert not twilio.messages  # nothing sent


async def test_a_wrong_token_says_twilios_code_and_never_the_token(twilio: FakeTwilio) -> None:
    [result] = await whatsapp(twilio, {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "wrong-token"})
    assert not result.ok
    assert result.detail == "Twilio answered 401, error 20003: Unable to fetch record: Authenticate"
    assert result.hint == "check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
    assert "wrong-token" not in f"{result}"


async def test_a_suspended_account_and_an_unknown_service_fail(twilio: FakeTwilio) -> None:
    twilio.account_status = "suspended"
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN}
    account, service = await whatsapp(twilio, env, ["MG" + "9" * 32])
    assert (account.ok, account.detail) == (False, "account 'TecnoLinux' is suspended")
    assert not service.ok and "404, error 20404" in service.detail and service.hint == "fix messaging_service_sids"


async def test_unset_credentials_are_named(twilio: FakeTwilio) -> None:
    [result] = await whatsapp(twilio, {})
    assert (result.ok, result.detail) == (False, "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN is not set")
    assert not twilio.requests


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack(token=SLACK_TOKEN).start()
    yield fake
    await fake.stop()


SLACK_TOKEN = "xoxb-doctor-123"


async def slack_checks(fake: FakeSlack, token: str) -> list[CheckResult]:
    section = SlackSettings(agents_channel="C0CONSOLE", api_base_url=f"{fake.base_url}/api/")
    return list(await SlackChannel().check(section, {"SLACK_BOT_TOKEN": token}.get, lambda path: Path(path)))


async def test_slack_token_scopes_and_channel(slack: FakeSlack) -> None:
    found = await slack_checks(slack, SLACK_TOKEN)
    assert [(r.check, r.ok, r.detail) for r in found] == [
        ("the bot token in SLACK_BOT_TOKEN", True, "bot 'gateway' in 'TecnoLinux'"),
        ("the token's scopes", True, "all it needs"),
        ("the bot is in C0CONSOLE", True, "member of #c0console"),
    ]
    assert not slack.messages  # nothing posted


async def test_slack_missing_scopes_and_a_channel_the_bot_is_not_in(slack: FakeSlack) -> None:
    slack.scopes = "chat:write,channels:history,commands"
    slack.outside.add("C0CONSOLE")
    _, scopes, channel = await slack_checks(slack, SLACK_TOKEN)
    assert not scopes.ok and scopes.detail.startswith("missing groups:history, im:history, im:write")
    assert (channel.ok, channel.hint) == (False, "invite the bot: /invite in #c0console")


async def test_slack_a_wrong_token(slack: FakeSlack) -> None:
    [result] = await slack_checks(slack, "xoxb-wrong")
    assert (result.ok, result.detail, result.hint) == (
        False,
        "Slack answered invalid_auth",
        "check SLACK_BOT_TOKEN (xoxb-…)",
    )


@pytest.fixture
async def bridge() -> AsyncIterator[str]:
    """A bridge's callback that allows only POST: a HEAD gets 405, which still says the bridge is there."""

    async def callback(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/callback", callback)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/callback"
    await runner.cleanup()


async def relay_checks(callback: str, env: dict[str, str]) -> list[CheckResult]:
    section = {"teams": RelaySettings(secret_env="RELAY_TEAMS_SECRET", callback_url=callback)}
    return list(await RelayChannel().check(section, env.get, lambda path: Path(path)))


async def test_a_relay_whose_bridge_answers(bridge: str) -> None:
    [result] = await relay_checks(bridge, {"RELAY_TEAMS_SECRET": "s" * 32})
    assert (result.subject, result.ok, result.detail) == ("relay teams", True, "answered 405")


async def test_a_relay_nobody_answers_on_and_one_without_its_secret() -> None:
    [down] = await relay_checks(f"http://127.0.0.1:{free_port()}/callback", {"RELAY_TEAMS_SECRET": "s" * 32})
    assert (
        not down.ok and down.detail.startswith("cannot reach it") and down.hint == "check callback_url and the bridge"
    )
    [unset] = await relay_checks("http://127.0.0.1:9/callback", {})
    assert (unset.ok, unset.detail) == (False, "RELAY_TEAMS_SECRET is not set")
