"""A channel is one package and one line: a fax channel written in a temporary folder is configured, checked,
wired and used by adding it to the channel tuple, with nothing else of the gateway touched."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.channels import CHANNELS
from gateway.config.loader import ConfigError, load_settings
from gateway.runtime.bootstrap import build_gateway
from tests.conftest import PROJECT, at, serving_webhooks

NOW = at("2026-11-23T14:00:00")  # Monday 09:00 in Bogota
FAX_PACKAGE = '''
"""A fax channel: a fax server posts the page's text; replies go back to the number, recorded here."""

import asyncio
from datetime import timedelta

from aiohttp import web

from adapters.channel import ChannelFacts, ChannelParts
from adapters.settings import Section, named_secrets
from ticketing.intake import AcceptRequest
from ticketing.types import InboundMessage, WrittenRequest

CHANNEL = "fax"
SENT = []


class FaxSettings(Section):
    token_env: str
    answer_within_hours: float = 8


class Reader:
    def __init__(self, normalizer):
        self._normalizer = normalizer

    async def __call__(self, item):
        number, text = item.raw.decode().split(":", 1)
        message = InboundMessage(CHANNEL, item.native_id, number, "", "fax", "Fax", text, "", item.received_at)
        return self._normalizer.normalize(message)


class Sender:
    async def send(self, reply):
        SENT.append((reply.recipient, reply.text))
        return None


class FaxChannel:
    name = CHANNEL
    settings = FaxSettings | None
    default = None

    def facts(self, section, texts):
        if section is None:
            return ChannelFacts()
        return ChannelFacts(
            secrets=named_secrets(("channels", CHANNEL), section, "token_env"),
            continue_within={CHANNEL: timedelta(hours=section.answer_within_hours)},
        )

    def build(self, section, context):
        if section is None:
            return ChannelParts()

        async def receive(request):
            page = await request.text()
            native_id = request.headers["X-Fax-Id"]
            await context.accept(AcceptRequest(CHANNEL, native_id, page.encode(), {}, context.clock()))
            return web.Response(text="stored")

        app = web.Application()
        app.router.add_post("/in", receive)
        return ChannelParts(
            readers={CHANNEL: Reader(context.normalizer)},
            senders={CHANNEL: Sender()},
            webhooks={"/webhooks/fax": app},
            health=lambda: {"pages": "ready"},
            banner=lambda http: [f"  Fax:     {http}/webhooks/fax/in"],
        )


FAX = FaxChannel()
'''


@pytest.fixture
def fax(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    (tmp_path / "faxdesk").mkdir()
    (tmp_path / "faxdesk" / "__init__.py").write_text(FAX_PACKAGE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("faxdesk")
    sys.modules.pop("faxdesk", None)


def configured(tmp_path: Path) -> Path:
    shutil.copytree(PROJECT / "config", tmp_path / "config")
    config = tmp_path / "config" / "gateway.toml"
    text = config.read_text().replace('path = "var/gateway.sqlite3"', f'path = "{(tmp_path / "f.sqlite3").as_posix()}"')
    config.write_text(text + '\n[channels.fax]\ntoken_env = "FAX_TOKEN"\n')
    return config


def test_without_the_line_the_section_is_an_unknown_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(configured(tmp_path), {})
    assert any("channels.fax: unknown setting" in problem for problem in caught.value.problems)


def test_check_config_names_the_new_channels_secret(tmp_path: Path, fax: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(configured(tmp_path), {}, channels=(*CHANNELS, fax.FAX))
    [problem] = caught.value.problems
    assert problem.endswith("channels.fax.token_env: environment variable FAX_TOKEN is not set")


async def test_one_line_wires_the_channel_end_to_end(tmp_path: Path, fax: Any) -> None:
    settings = load_settings(configured(tmp_path), {"FAX_TOKEN": "t"}, channels=(*CHANNELS, fax.FAX))
    gateway = build_gateway(settings, lambda: NOW)
    assert gateway.health()["fax"] == {"pages": "ready"}
    assert "/webhooks/fax" in gateway.webhooks
    async with serving_webhooks(gateway) as client:
        for page in ("+573001234567:La impresora no imprime.", "+573001234567:Sigue sin imprimir."):
            response = await client.post("/webhooks/fax/in", data=page, headers={"X-Fax-Id": page[-12:]})
            assert response.status == 200
        assert await gateway.inbox.process_pending() == 2
        await gateway.outbox.deliver_due()
        async with gateway.store.transaction() as tx:
            [ticket] = await tx.list_tickets()  # the second page continued the first (the channel's window)
            messages = await tx.messages(ticket.id or 0)
    assert (ticket.channel, ticket.requester_address) == ("fax", "+573001234567")
    assert [m.direction.value for m in messages] == ["in", "out", "in"]
    [(recipient, text)] = fax.SENT
    assert recipient == "+573001234567" and ticket.number in text


def test_every_configured_channel_shows_at_start_and_in_healthz(tmp_path: Path) -> None:
    config = configured(tmp_path)
    config.write_text(
        config.read_text().replace('[channels.fax]\ntoken_env = "FAX_TOKEN"\n', "")
        + '\n[channels.slack]\nagents_channel = "C0CONSOLE"\n'
        + '\n[channels.relay.teams]\nsecret_env = "R"\ncallback_url = "https://bridge.example/desk"\n'
    )
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "R": "r"}
    gateway = build_gateway(load_settings(config, env), lambda: NOW)
    health = gateway.health()
    assert health["slack"] == {"events": "/slack/events", "console": "C0CONSOLE", "reply_mode": "confirm"}
    assert health["relay"] == {"teams": {"webhook": "/webhooks/relay/teams", "callback": "https://bridge.example/desk"}}
    banner = [line for parts in gateway.channels.values() if parts.banner for line in parts.banner("http://h")]
    assert "  Slack:   console C0CONSOLE; Slack posts to http://h/slack/events" in banner
    assert "  Relay:   teams posts to http://h/webhooks/relay/teams" in banner
