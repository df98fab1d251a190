"""normalizer: Normalizer end to end, and its parts (language, ticket reference, HTML to text)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.email.parse import parse_email
from normalizer import LanguageDetector, Normalizer
from normalizer.html_text import html_to_text
from normalizer.ticket_ref import find_ticket_ref
from ticketing.types import InboundMessage, Priority

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mime"
RECEIVED = datetime(2025, 2, 3, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector()


@pytest.fixture(scope="module")
def normalizer(detector: LanguageDetector) -> Normalizer:
    return Normalizer("TL", detector)


def inbound(subject: str = "", text: str = "", html: str = "", **fields: object) -> InboundMessage:
    message = InboundMessage(
        channel="email",
        native_id="id-1",
        sender_address="ana@cliente.example",
        sender_name="Ana",
        recipient="soporte@example.com",
        subject=subject,
        text=text,
        html=html,
        received_at=RECEIVED,
    )
    return replace(message, **fields)  # type: ignore[arg-type]


# --- Normalizer ------------------------------------------------------------------------------------------------


GMAIL_REPLY = (
    "Sigue sin funcionar, es urgente.\n\nEl lun, 3 feb 2025 a las 10:00, Soporte <soporte@example.com> escribió:\n"
    "> Su solicitud TL-000777 fue registrada. Prioridad: baja\n"
)
GMAIL_REPLY_WITH_MARKER = GMAIL_REPLY.replace("Sigue sin funcionar, es urgente.", "Gracias.")


@pytest.mark.parametrize(
    ("subject", "text", "restated"),
    [
        ("RE: [TL-000001] Impresora", "Prioridad: crítica, se cayó todo.", Priority.CRITICAL),
        ("RE: [URGENTE] Impresora", "Gracias, ya funciona.", None),  # the subject repeats the first marker
        ("RE: Impresora", "Es urgente, por favor.", None),  # a cue is no restated priority
        ("RE: Impresora", GMAIL_REPLY_WITH_MARKER, None),  # a marker in the quoted history is not restated
    ],
)
def test_a_follow_up_restates_a_priority_only_by_a_marker_in_what_it_says(
    normalizer: Normalizer, subject: str, text: str, restated: Priority | None
) -> None:
    assert normalizer.normalize(inbound(subject, text)).restated_priority is restated


def test_reply_is_cleaned_and_keeps_the_original(normalizer: Normalizer) -> None:
    request = normalizer.normalize(inbound("RE: Impresora", GMAIL_REPLY))
    assert request.body == "Sigue sin funcionar, es urgente."
    assert request.original_body == GMAIL_REPLY
    assert (request.priority, request.priority_reason) == (Priority.HIGH, 'cue "urgente"')  # not the quoted marker
    assert request.language == "es"
    assert request.ticket_ref == "TL-000777"  # found in the quoted history when subject and body have none
    assert (request.auto_reply, request.bounce) == (False, False)


@pytest.mark.parametrize(
    ("message", "body", "language", "priority", "ticket_ref"),
    [
        (
            inbound("[TL-000123] Correo", "The mail server is down since 9am."),
            "The mail server is down since 9am.",
            "en",
            Priority.CRITICAL,
            "TL-000123",
        ),
        (
            inbound("Impresora", "", "<p>La impresora está <b>lenta</b>.</p><p>Gracias,<br>Ana</p>"),
            "La impresora está lenta.\n\nGracias,\nAna",  # the closing and a lone name are the client's
            "es",
            Priority.MEDIUM,
            None,
        ),
        (
            inbound("Consulta", "   ", "<div>¿Cómo puedo cambiar mi contraseña?</div>"),
            "¿Cómo puedo cambiar mi contraseña?",
            "es",
            Priority.LOW,
            None,
        ),
        (inbound("RE: [tl-42]", "ok"), "ok", None, None, "TL-000042"),  # unsure: the ticket uses what it knows
        (inbound("", ""), "", None, None, None),
    ],
    ids=["english-subject-tag", "html-only", "blank-text-uses-html", "short-text-no-language", "empty"],
)
def test_normalize_table(
    normalizer: Normalizer,
    message: InboundMessage,
    body: str,
    language: str | None,
    priority: Priority | None,
    ticket_ref: str | None,
) -> None:
    request = normalizer.normalize(message)
    assert (request.body, request.language, request.priority, request.ticket_ref) == (
        body,
        language,
        priority,
        ticket_ref,
    )
    assert request.message is message


@pytest.mark.parametrize(
    ("headers", "sender", "subject", "auto_reply", "bounce"),
    [
        ({"auto-submitted": "auto-replied"}, "ana@cliente.example", "Fuera de la oficina", True, False),
        (
            {"content-type": 'multipart/report; report-type="delivery-status"', "return-path": "<>"},
            "mailer-daemon@mx.example",
            "Undelivered Mail Returned to Sender",
            True,
            True,
        ),
        ({}, "ana@cliente.example", "Automatic reply: VPN", True, False),
        ({}, "ana@cliente.example", "VPN", False, False),
    ],
)
def test_loop_flags(
    normalizer: Normalizer, headers: dict[str, str], sender: str, subject: str, auto_reply: bool, bounce: bool
) -> None:
    request = normalizer.normalize(inbound(subject, "texto", headers=headers, sender_address=sender))
    assert (request.auto_reply, request.bounce) == (auto_reply, bounce)


@pytest.mark.parametrize(
    ("name", "body", "auto_reply", "bounce"),
    [
        ("chatwoot/only_html.eml", "This is html only mail", False, False),
        ("chatwoot/mail_with_quote.eml", None, False, False),
        ("chatwoot/bounced_gmail.eml", None, True, True),
        ("../quotes/talon/standard_replies/gmail.eml", "Hello", False, False),
    ],
)
def test_fixtures_through_parse_and_normalize(
    normalizer: Normalizer, name: str, body: str | None, auto_reply: bool, bounce: bool
) -> None:
    message = parse_email((FIXTURES / name).read_bytes(), received_at=RECEIVED, recipient="soporte@example.com")
    request = normalizer.normalize(message)
    if body is not None:
        assert request.body == body
    assert request.body and len(request.body) <= len(request.original_body)
    assert (request.auto_reply, request.bounce) == (auto_reply, bounce)


def test_mail_with_quote_fixture_loses_its_quote(normalizer: Normalizer) -> None:
    raw = (FIXTURES / "chatwoot/mail_with_quote.eml").read_bytes()
    request = normalizer.normalize(parse_email(raw, received_at=RECEIVED, recipient="soporte@example.com"))
    assert "wrote:" not in request.body and "wrote:" in request.original_body


# --- LanguageDetector ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("default", "text", "expected"),
    [
        ("es", "El servidor de correo no responde desde esta mañana y nadie puede enviar facturas.", "es"),
        ("es", "The mail server has not responded since this morning and nobody can send invoices.", "en"),
        ("en", "No puedo entrar al portal de nómina, me dice que la contraseña expiró.", "es"),
        ("es", "ok", "es"),
        ("en", "ok", "en"),
        ("en", "", "en"),
        ("es", "12345 !!! ???", "es"),
        ("en", "VPN", "en"),
    ],
)
def test_language_detector(default: str, text: str, expected: str) -> None:
    assert LanguageDetector(default=default).detect(text) == expected


def test_language_detector_rejects_an_unsupported_default() -> None:
    with pytest.raises(ValueError, match="'fr'"):
        LanguageDetector(default="fr")


# --- find_ticket_ref -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "body", "prefix", "expected"),
    [
        ("[TL-000123] Impresora", "", "TL", "TL-000123"),
        ("RE: [TL-000123] Impresora", "", "TL", "TL-000123"),
        ("RE: [ tl-123 ] Impresora", "", "TL", "TL-000123"),
        ("RV: ticket TL-77 sigue abierto", "", "TL", "TL-000077"),
        ("Impresora", "Sobre el caso tl-5, sigue igual.", "TL", "TL-000005"),
        ("[TL-000001] Nuevo", "como en TL-000002", "TL", "TL-000001"),
        ("TL-000009 y [TL-000010]", "", "TL", "TL-000010"),  # the bracketed tag wins
        ("Impresora", "Modelo XTL-000123 y HTL-9 no cuentan", "TL", None),
        ("Impresora", "TL-000123abc no es un número", "TL", None),
        ("[SUP-004567] Correo", "", "sup", "SUP-004567"),
        ("Sin referencia", "nada por aquí", "TL", None),
        ("[TL-1]", "", "", None),
    ],
)
def test_find_ticket_ref(subject: str, body: str, prefix: str, expected: str | None) -> None:
    assert find_ticket_ref(subject, body, prefix) == expected


# --- html_to_text ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("", ""),
        ("   ", ""),
        ("<p>Hola</p><p></p><p></p><p></p><p>Adiós</p>", "Hola\n\nAdiós"),
        ("<div>uno<br><br><br><br><br>dos</div>", "uno\n\ndos"),
        ("<p>precio&nbsp;&gt;&nbsp;100 &amp; más</p>", "precio > 100 & más"),
        ("<ul><li>reinicié</li><li>borré caché</li></ul>", "  * reinicié\n  * borré caché"),
        ("<p>Hola</p><blockquote>El lun escribió:<br>viejo</blockquote>", "Hola\n\nEl lun escribió:\nviejo"),
        ("<script>alert(1)</script><p>texto</p>", "texto"),
    ],
)
def test_html_to_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected
