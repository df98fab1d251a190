"""normalizer.loops: auto-replies and bounces are recognised, ordinary requests are not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.email.parse import parse_email
from normalizer.loops import is_auto_reply, is_bounce

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mime"
CLIENT = "ana@cliente.example"

AUTO_REPLY_CASES: list[tuple[str, dict[str, str], str, str, bool]] = [
    ("plain request", {}, "La VPN no conecta", CLIENT, False),
    ("auto-submitted auto-replied", {"auto-submitted": "auto-replied"}, "Re: VPN", CLIENT, True),
    ("auto-submitted auto-generated", {"auto-submitted": "auto-generated; owner-email=x@y"}, "Aviso", CLIENT, True),
    ("auto-submitted no", {"auto-submitted": "no"}, "VPN", CLIENT, False),
    ("auto-submitted No with spaces", {"auto-submitted": " No "}, "VPN", CLIENT, False),
    ("x-autoreply", {"x-autoreply": "yes"}, "Re: VPN", CLIENT, True),
    ("x-autorespond", {"x-autorespond": "1"}, "Re: VPN", CLIENT, True),
    ("precedence bulk", {"precedence": "bulk"}, "Boletín", CLIENT, True),
    ("precedence junk", {"precedence": "Junk"}, "x", CLIENT, True),
    ("precedence list", {"precedence": "list"}, "x", CLIENT, True),
    ("precedence auto_reply", {"precedence": "auto_reply"}, "x", CLIENT, True),
    ("precedence first-class", {"precedence": "first-class"}, "VPN", CLIENT, False),
    ("list-id", {"list-id": "<equipo.lists.cliente.example>"}, "VPN", CLIENT, True),
    ("empty return-path", {"return-path": "<>"}, "VPN", CLIENT, True),
    ("normal return-path", {"return-path": f"<{CLIENT}>"}, "VPN", CLIENT, False),
    ("mailer-daemon", {}, "Undelivered Mail", "MAILER-DAEMON@mx.example", True),
    ("postmaster", {}, "Delivery report", "postmaster@mx.example", True),
    (
        "read receipt",
        {"content-type": 'multipart/report; report-type="disposition-notification"'},
        "Leído",
        CLIENT,
        True,
    ),
    ("respuesta automática", {}, "Respuesta automática: VPN", CLIENT, True),
    ("respuesta automatica without accent", {}, "RESPUESTA AUTOMATICA: VPN", CLIENT, True),
    ("fuera de la oficina", {}, "Fuera de la oficina", CLIENT, True),
    ("RE: fuera de la oficina:", {}, "RE: Fuera de la oficina: hasta el lunes", CLIENT, True),
    ("out of office", {}, "Out of Office: VPN", CLIENT, True),
    ("automatic reply", {}, "Automatic reply: Password reset", CLIENT, True),
    ("auto:", {}, "Auto: Re: VPN", CLIENT, True),
    ("autoreply", {}, "Autoreply", CLIENT, True),
    ("out of office in a request", {}, "VPN does not work when I am out of the office at home", CLIENT, False),
    ("fuera de la oficina in a request", {}, "Fuera de la oficina no tengo VPN", CLIENT, False),
    ("automático in a request", {}, "El respaldo automático falló", CLIENT, False),
]


@pytest.mark.parametrize(
    ("headers", "subject", "sender", "expected"),
    [c[1:] for c in AUTO_REPLY_CASES],
    ids=[c[0] for c in AUTO_REPLY_CASES],
)
def test_is_auto_reply(headers: dict[str, str], subject: str, sender: str, expected: bool) -> None:
    assert is_auto_reply(headers, subject, sender) is expected


DSN = 'multipart/report; report-type="delivery-status"; boundary="x"'
BOUNCE_CASES: list[tuple[str, dict[str, str], str, str, str, bool]] = [
    ("plain request", {}, "text/plain", CLIENT, "VPN", False),
    ("delivery-status report", {}, DSN, "mailer-daemon@mx.example", "Returned mail", True),
    ("delivery-status unquoted", {}, "multipart/report; report-type=delivery-status", CLIENT, "x", True),
    (
        "disposition notification is no bounce",
        {},
        'multipart/report; report-type="disposition-notification"',
        CLIENT,
        "Leído",
        False,
    ),
    (
        "x-failed-recipients",
        {"x-failed-recipients": "bob@x.example"},
        "text/plain",
        "mailer-daemon@mx.example",
        "x",
        True,
    ),
    ("mailer-daemon undelivered", {}, "text/plain", "MAILER-DAEMON@mx.example", "Undelivered Mail Returned", True),
    ("mailer-daemon dsn subject", {}, "text/plain", "mailer-daemon@google.com", "Delivery Status Notification", True),
    ("mailer-daemon failure notice", {}, "text/plain", "MAILER-DAEMON@yahoo.com", "failure notice", True),
    (
        "postmaster no se puede entregar",
        {},
        "text/plain",
        "postmaster@cliente.example",
        "No se puede entregar: Reunión",
        True,
    ),
    ("null sender with bounce subject", {"return-path": "<>"}, "text/plain", "", "Undeliverable: VPN", True),
    ("mailer-daemon other subject", {}, "text/plain", "mailer-daemon@mx.example", "Your mailbox quota", False),
    ("client writes about an undelivered mail", {}, "text/plain", CLIENT, "Undelivered mail to my boss", False),
]


@pytest.mark.parametrize(
    ("headers", "content_type", "sender", "subject", "expected"),
    [c[1:] for c in BOUNCE_CASES],
    ids=[c[0] for c in BOUNCE_CASES],
)
def test_is_bounce(headers: dict[str, str], content_type: str, sender: str, subject: str, expected: bool) -> None:
    assert is_bounce(headers, content_type, sender, subject) is expected


@pytest.mark.parametrize(
    ("name", "auto_reply", "bounce"),
    [
        ("chatwoot/bounced_gmail.eml", True, True),
        ("chatwoot/bounced_with_no_from.eml", True, True),
        ("chatwoot/non_utf_encoded_mail.eml", True, False),  # X-Autoreply, Precedence: bulk, Auto-Submitted
        ("chatwoot/notification.eml", False, False),  # an app notification without RFC 3834 headers: not flagged
        ("chatwoot/references.eml", False, False),
        ("cpython/msg_05.txt", False, True),  # a delivery-status report whose From ("foo") is no address
        ("ruby_mail/multipart_report_emails/report_422.eml", True, True),
        ("cpython/msg_32.txt", True, False),  # mailing-list traffic: Precedence: bulk
    ],
)
def test_fixture_flags(name: str, auto_reply: bool, bounce: bool) -> None:
    message = parse_email(
        (FIXTURES / name).read_bytes(), received_at=datetime.now(UTC), recipient="soporte@example.com"
    )
    content_type = message.headers.get("content-type", "")
    assert is_auto_reply(message.headers, message.subject, message.sender_address) is auto_reply
    assert is_bounce(message.headers, content_type, message.sender_address, message.subject) is bounce
