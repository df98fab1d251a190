"""The reply templates of the example configuration, rendered as clients will read them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.local_time import format_moment, gmt_label
from gateway.config.loader import composer as composer_of
from gateway.config.loader import load_settings
from gateway.config.templates import TemplateComposer

PROJECT = Path(__file__).resolve().parents[2]
BOGOTA = ZoneInfo("America/Bogota")
DUE = datetime(2026, 11, 30, 9, 0, tzinfo=BOGOTA)


def composer() -> TemplateComposer:
    """The example configuration's composer, as the gateway builds it (the channels' template folders included)."""
    return composer_of(load_settings(PROJECT / "config" / "gateway.toml", {}))


def context(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "channel": "email",
        "number": "TL-000042",
        "subject": "Servidor caído",
        "requester_name": "Ana",
        "organisation": "Andina",
        "plan": "standard",
        "priority": "high",
        "priority_stated": True,
        "response_due": DUE,
        "resolution_due": datetime(2026, 11, 30, 12, 30, tzinfo=BOGOTA),
        "response_target": "minutes",
        "resolution_target": "minutes",
        "received_at": datetime(2026, 11, 27, 18, 0, tzinfo=BOGOTA),
        "clock_starts": datetime(2026, 11, 30, 8, 0, tzinfo=BOGOTA),
        "outside_hours": True,
        "covered": True,
    }
    return base | overrides


@pytest.mark.parametrize(
    ("language", "overrides", "expected", "absent"),
    [
        (
            "es",
            {},
            [
                "TL-000042",
                "Prioridad:  Alto",  # the agreement's name, from config/labels.toml
                "a más tardar el lunes 30 de noviembre de 2026, 09:00 (GMT-5)",
                "fuera de nuestro horario de atención (lunes a viernes de 8:00 a 16:30, GMT-5, días hábiles en Colombia)",
                "empieza a contar el lunes 30 de noviembre de 2026, 08:00 (GMT-5)",
                '"[TL-000042]"',
            ],
            ["Asignamos la prioridad"],
        ),
        (
            "en",
            {},
            [
                "Priority:    High",
                "by Monday, November 30, 2026, 9:00 AM (GMT-5)",
                "outside our support hours (Monday to Friday, 8:00 to 16:30, GMT-5, business days in Colombia)",
            ],
            ["lunes"],
        ),
        (
            "es",
            {"outside_hours": False, "priority_stated": False},
            ["Asignamos la prioridad"],
            ["fuera de nuestro horario"],
        ),
        (
            "es",
            {"priority": "critical", "response_target": "immediate", "resolution_target": "immediate"},
            ["Prioridad:  Crítico", "inmediata, a más tardar el lunes"],
            [],
        ),
        (
            "es",
            {
                "priority": "planned",
                "response_due": None,
                "resolution_due": None,
                "response_target": "planned",
                "resolution_target": "planned",
            },
            ["se acordará una fecha con usted"],
            ["(GMT-5)\n"],
        ),
        (
            "en",
            {
                "priority": "planned",
                "response_due": None,
                "resolution_due": None,
                "response_target": "planned",
                "resolution_target": "planned",
                "outside_hours": False,
            },
            ["a date will be agreed with you"],
            [],
        ),
    ],
)
def test_acknowledgement(language: str, overrides: dict[str, Any], expected: list[str], absent: list[str]) -> None:
    text = composer().render("acknowledgement", language, context(**overrides))
    for piece in expected:
        assert piece in text
    for piece in absent:
        assert piece not in text


@pytest.mark.parametrize(
    ("language", "phrase"),
    [("es", "no tiene tiempos de respuesta comprometidos"), ("en", "carries no committed response times")],
)
def test_not_covered_promises_nothing(language: str, phrase: str) -> None:
    text = composer().render("not_covered", language, context(response_due=None, resolution_due=None, covered=False))
    assert phrase in text and "TL-000042" in text and "(GMT-5)" not in text


def test_unknown_language_falls_back_to_spanish() -> None:
    assert "Recibimos su solicitud" in composer().render("acknowledgement", "pt", context())


@pytest.mark.parametrize(
    ("moment", "label"),
    [
        (DUE, "GMT-5"),
        (datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Kolkata")), "GMT+5:30"),
        (datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")), "GMT+0"),
    ],
)
def test_gmt_label(moment: datetime, label: str) -> None:
    assert gmt_label(moment) == label


def test_utc_instants_are_shown_in_local_time() -> None:
    utc = datetime.fromisoformat("2026-11-27T20:00:00+00:00")
    assert format_moment(utc, "es", BOGOTA) == "viernes 27 de noviembre de 2026, 15:00 (GMT-5)"


@pytest.mark.parametrize(
    ("channel", "expected", "absent"),
    [
        ("email", ['"[TL-000042]" en el asunto', "Atentamente,"], []),
        ("whatsapp", ["*TL-000042*", "escriba aquí mismo"], ["correo", "asunto"]),
        ("relay:teams", ["Su ticket es TL-000042.", "escriba en esta misma conversación"], ["correo", "asunto", "*"]),
        ("a-channel-nobody-configured", ["escriba en esta misma conversación"], ["correo", "asunto"]),
    ],
)
def test_every_channel_gets_wording_that_fits_it(channel: str, expected: list[str], absent: list[str]) -> None:
    """A chat channel without templates of its own answers in the chat wording, never in email's."""
    text = composer().render("acknowledgement", "es", context(channel=channel))
    for piece in expected:
        assert piece in text
    for piece in absent:
        assert piece not in text


@pytest.mark.parametrize(
    ("kind", "language", "channel", "extra", "expected"),
    [
        (
            "information_reminder",
            "es",
            "email",
            {"closes_at": DUE},
            [
                "Seguimos esperando la información",
                "antes del lunes 30 de noviembre de 2026, 09:00 (GMT-5)",
                "[TL-000042]",
            ],
        ),
        ("information_reminder", "en", "whatsapp", {"closes_at": DUE}, ["still waiting", "we will close the case"]),
        ("closed_unanswered", "es", "email", {}, ["Cerramos el ticket TL-000042", "abriremos un caso nuevo"]),
        ("closed_unanswered", "en", "relay", {}, ["We closed TL-000042", "open a new case"]),
        (
            "resolved",
            "es",
            "email",
            {"level": 2, "reopen_until": DUE},
            ["Resolvimos el ticket TL-000042 (soporte de nivel 2)", "antes del lunes 30 de noviembre de 2026, 09:00"],
        ),
        ("resolved", "en", "slack", {"level": 1, "reopen_until": DUE}, ["(level 1 support)", "reopen the case"]),
        ("accepted", "es", "email", {}, ["Aceptamos su solicitud TL-000042", "Prioridad:  Alto", "Respuesta:"]),
        ("accepted", "en", "whatsapp", {}, ["We accepted your request TL-000042", "Priority: High"]),
    ],
)
def test_the_desks_own_notices_read_as_the_client_will(
    kind: str, language: str, channel: str, extra: dict[str, Any], expected: list[str]
) -> None:
    text = composer().render(kind, language, context(channel=channel) | extra)
    for phrase in expected:
        assert phrase in text
    assert "{{" not in text and "None" not in text
