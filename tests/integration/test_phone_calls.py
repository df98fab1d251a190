"""Phone calls recorded by an operator become the client's ticket, once, with the acknowledgement on their channel."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.slack.call_intake import PhoneCallRecorder
from adapters.slack.phone_call import PhoneCall
from gateway.config.loader import load_settings
from gateway.runtime.bootstrap import Gateway, build_gateway, build_normalizer
from tests.conftest import PROJECT, at
from ticketing.intake import ImmediateIntake

NOW = at("2026-11-23T14:00:00")  # Monday 09:00 in Bogota


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    shutil.copytree(PROJECT / "config", tmp_path / "config")
    built = build_gateway(load_settings(tmp_path / "config" / "gateway.toml", {}), lambda: NOW)
    await built.store.open()
    yield built
    await built.store.close()


def call(contact: str, view: str = "V0VIEW0001", priority: str = "high") -> PhoneCall:
    return PhoneCall(
        native_id=f"call:{view}",
        operator="U0OPERATOR",
        contact=contact,
        client_name="Ana Gómez",
        organisation="Andina",
        subject="No imprime la factura",
        description="Llamó: la impresora fiscal no imprime.",
        priority=priority,
    )


def recorder(gateway: Gateway) -> PhoneCallRecorder:
    normalizer = build_normalizer(gateway.settings)
    intake = ImmediateIntake(gateway.accept, gateway.service, gateway.store, lambda: NOW, lambda: None)
    return PhoneCallRecorder(intake, normalizer, "CO")


@pytest.mark.parametrize(
    ("contact", "channel", "requester", "plan"),
    [
        ("Sistemas@Andina.com.co", "email", "sistemas@andina.com.co", "standard"),
        ("310 555 0101", "whatsapp", "+573105550101", "standard"),
        ("desconocido@gmail.com", "email", "desconocido@gmail.com", "free"),
    ],
)
async def test_a_recorded_call_is_the_clients_ticket(
    gateway: Gateway, contact: str, channel: str, requester: str, plan: str
) -> None:
    number = await recorder(gateway)(call(contact), b"{}")
    async with gateway.store.transaction() as tx:
        ticket = await tx.get_ticket(number)
        [ack] = await tx.list_outbox()
        assert ticket is not None and ticket.id is not None
        message = (await tx.messages(ticket.id))[0]
    assert number == "TL-000001"
    assert (ticket.channel, ticket.answered_on, ticket.requester_address, ticket.plan, ticket.priority.value) == (
        "phone",  # it came in by phone, and is answered where the client asked
        channel,
        requester,
        plan,
        "high",
    )
    assert (ack.reply.channel, ack.reply.recipient) == (channel, requester)
    assert message.channel == "phone"  # not a message on WhatsApp: the client never wrote there
    assert "registrada por <@U0OPERATOR>" in message.body


async def test_a_retried_submission_makes_one_ticket(gateway: Gateway) -> None:
    record = recorder(gateway)
    numbers = await asyncio.gather(*(record(call("sistemas@andina.com.co"), b"{}") for _ in range(3)))
    assert numbers == ["TL-000001"] * 3
    async with gateway.store.transaction() as tx:
        assert len(await tx.list_tickets()) == 1 and len(await tx.list_outbox()) == 1
