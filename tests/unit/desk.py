"""A ticket desk over a real SQLite store with a settable clock, for the core's unit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import at
from ticketing.agent_actions import AgentActions
from ticketing.customers import CustomerDirectory, Organisation
from ticketing.deliveries import Deliveries
from ticketing.intake import AcceptRequest
from ticketing.observer import TicketObserver
from ticketing.service import ServiceOptions, TicketService
from ticketing.sla import AlwaysOpenCalendar, BusinessCalendar, PriorityTargets, SlaPolicy, parse_target
from ticketing.store.sqlite import SqliteStore
from ticketing.types import InboundMessage, Priority, Trust, WrittenRequest

BOGOTA = ZoneInfo("America/Bogota")
MONDAY_9 = at("2026-11-23T14:00:00")  # Monday 09:00 in Bogota


class RecordingComposer:
    """A ReplyComposer that records what it was asked to word."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def render(self, kind: str, language: str, context: Mapping[str, Any]) -> str:
        self.calls.append((kind, language, dict(context)))
        return f"{kind}/{language}/{context['number']}"


def policy() -> SlaPolicy:
    business = BusinessCalendar(BOGOTA, frozenset(range(5)), time(8), time(16, 30))
    targets = {
        p: PriorityTargets(parse_target(r), parse_target(s))
        for p, r, s in [
            (Priority.CRITICAL, "immediate", "immediate"),
            (Priority.HIGH, "1h", "4h"),
            (Priority.MEDIUM, "2h", "4h"),
            (Priority.LOW, "4h", "8h"),
            (Priority.PLANNED, "planned", "planned"),
        ]
    }
    return SlaPolicy(targets, {"standard": business, "7x24": AlwaysOpenCalendar(BOGOTA), "free": None})


ORGS = [
    Organisation(
        "andina",
        "Distribuidora Andina",
        "standard",
        "es",
        emails=frozenset({"soporte.ti@andina.com.co"}),
        domains=frozenset({"andina.com.co"}),
    ),
    Organisation("norte", "Clínica del Norte", "7x24", "es", emails=frozenset({"ti@norte.co"})),
    Organisation("northwind", "Northwind", "standard", "en", domains=frozenset({"northwind.example"})),
    Organisation("comunidad", "Gratuita", "free", emails=frozenset({"estudiante@gmail.com"})),
]


class Desk:
    """The service over a real store, with a settable clock."""

    def __init__(self, store: SqliteStore, composer: RecordingComposer, observer: TicketObserver | None = None) -> None:
        self.store = store
        self.composer = composer
        self.now = MONDAY_9
        options = ServiceOptions(
            "TL",
            Priority.MEDIUM,
            "es",
            {"es": "Solicitud de soporte"},
            continue_within={"whatsapp": timedelta(hours=24)},
        )
        self.service = TicketService(
            store, CustomerDirectory(ORGS), policy(), composer, options, lambda: self.now, observer
        )
        self.agents = AgentActions(store, policy(), lambda: self.now, "Solicitud de soporte", observer)
        self.deliveries = Deliveries(store, lambda: self.now, observer)
        self.count = 0

    async def receive(
        self,
        sender: str,
        subject: str = "Servidor caído",
        *,
        ref: str | None = None,
        hints: tuple[str, ...] = (),
        priority: Priority | None = None,
        language: str | None = "es",
        auto_reply: bool = False,
        channel: str = "email",
        trust: Trust = Trust.CLAIMED,
        restated: Priority | None = None,
        cc: tuple[str, ...] = (),
    ) -> tuple[str, str | None]:
        self.count += 1
        native_id = f"m{self.count}@client"
        message = InboundMessage(
            channel,
            native_id,
            sender,
            "Ana",
            "soporte@tecnolinux.com",
            subject,
            "texto",
            "",
            self.now,
            hints,
            sender_trust=trust,
            cc=cc,
        )
        accepted = await self.store.accept(AcceptRequest(channel, native_id, b"raw", {}, self.now))
        request = WrittenRequest(
            message,
            "texto",
            "texto",
            language,
            priority,
            "test",
            ref,
            auto_reply=auto_reply,
            restated_priority=restated,
        )
        outcome = await self.service.ingest(accepted.inbox_id, request)
        return outcome.action, outcome.ticket_number


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    store = SqliteStore(tmp_path / "desk.sqlite3")
    await store.open()
    yield Desk(store, RecordingComposer())
    await store.close()
