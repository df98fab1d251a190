"""adapters.email.parse: raw RFC 5322 bytes to InboundMessage, on real fixtures and on hand-built broken mail."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.email.parse import MailParseError, parse_email
from normalizer import LanguageDetector, Normalizer
from ticketing.types import InboundMessage

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mime"
SHARED_MIME = Path(__file__).resolve().parents[1] / "fixtures" / "mime"  # the whole third-party MIME corpus
RECEIVED = datetime(2025, 2, 3, 15, 0, tzinfo=UTC)
GW_HEX = "0123456789abcdef0123456789abcdef"


def parse(raw: bytes, **options: Any) -> InboundMessage:
    return parse_email(raw, received_at=RECEIVED, recipient="soporte@example.com", **options)


def parse_fixture(name: str) -> InboundMessage:
    return parse((FIXTURES / name).read_bytes())


def mail(headers: str, body: str = "Hola\n", *, encoding: str = "utf-8") -> bytes:
    return (headers.strip("\n") + "\n\n" + body).encode(encoding)


# --- real fixtures ---------------------------------------------------------------------------------------------

FIXTURE_CASES: list[tuple[str, dict[str, Any]]] = [
    (
        "chatwoot/only_html.eml",
        {  # CRLF, text/html only
            "native_id": "6215d71711c38_10bc61914022323@tejaswinis-MacBook-Pro.local.mail",
            "sender_address": "tejaswini@ex.com",
            "subject": "test html only mail",
            "text": "",
            "html_contains": "This is html only mail",
            "attachments": [],
            "thread_hints": (),
        },
    ),
    (
        "chatwoot/references.eml",
        {
            "sender_address": "sony@chatwoot.com",
            "sender_name": "Sony Mathew",
            "thread_hints": ("4e6e35f5a38b4_479f13bb90078178@small-app-01.mail", "test-in-reply-to"),
        },
    ),
    (
        "chatwoot/multiple_in_reply_to.eml",
        {
            "thread_hints": (
                "4e6e35f5a38b4_479f13bb90078171@small-app-01.mail",
                "4e6e35f5a38b4_479f13bb90078131@small-app-01.mail",
                "4e6e35f5a38b4_479f13bb90078178@small-app-01.mail",
            ),
        },
    ),
    (
        "chatwoot/non_utf_encoded_mail.eml",
        {  # RFC 2047 word inside quotes, base64 body
            "sender_address": "example@gmail.com",
            "sender_name": "متجر سوق نت",
            "subject": "أهلين عميلنا الكريم",
            "text_contains": "أنظروا",
            "thread_hints": ("4e6e35f5a38b4_479f13bb90078178@small-app-01.mail",),
        },
    ),
    ("chatwoot/mail_with_invalid_to.eml", {"sender_address": "", "sender_name": "Mark Whatney"}),
    ("chatwoot/malformed_reply_to.eml", {"sender_address": "sender@example.com", "sender_name": "Sender"}),
    ("chatwoot/mail_with_no_date.eml", {"sender_address": "testemail@gmail.com"}),
    (
        "chatwoot/bounced_with_no_from.eml",
        {  # CRLF, From: "" (Mail Delivery System), Return-Path: <>
            "sender_address": "",
            "subject": "Undelivered Mail Returned to Sender",
            "attachments": [("attachment-1", "message/delivery-status"), ("attachment-2", "message/rfc822")],
        },
    ),
    (
        "chatwoot/cid_inline_images_without_disposition.eml",
        {
            "text": "This is a plain text version of the message.\n",
            "html_contains": 'src="cid:image001.jpg@test"',
            "attachments": [("image001.jpg", "image/jpeg")],
        },
    ),
    (
        "cpython/msg_02.txt",
        {  # multipart/digest: five attached messages, their text is not the body
            "attachments": [(f"attachment-{n}", "message/rfc822") for n in range(1, 6)],
            "text_contains": "Today's Topics",
        },
    ),
    ("cpython/msg_07.txt", {"attachments": [("dingusfish.gif", "image/gif")], "sender_name": "Barry"}),
    (
        "cpython/msg_13.txt",
        {  # nested multipart/mixed inside multipart/mixed
            "attachments": [("dingusfish.gif", "image/gif")],
            "text_contains": "Hi there,",
        },
    ),
    ("cpython/msg_29.txt", {"sender_address": "bbb@ddd.com", "sender_name": "John X. Doe", "text_contains": "Hi,"}),
    ("cpython/msg_33.txt", {"text_contains": "part 1"}),  # RFC 2231 charset*= and boundary*=
    (
        "cpython/msg_42.txt",
        {  # an attached message whose own multipart is empty
            "text": "Stuff\n",
            "attachments": [("attachment-1", "message/rfc822")],
        },
    ),
    (
        "cpython/msg_46.txt",
        {  # the whole message is message/rfc822 (Groupwise forward)
            "text": "",
            "attachments": [("attachment-1", "message/rfc822")],
            "sender_address": "sender@example.net",
        },
    ),
    (
        "ruby_mail/error_emails/header_fields_with_empty_values.eml",
        {  # ISO-8859-1, QP body and RFC 2047 name
            "sender_name": "Jørn Støylen",
            "text_contains": "Jørn Støylen -- http://www.prikkprikkprikk.no",
        },
    ),
    (
        "ruby_mail/error_emails/invalid_subject_characters.eml",
        {  # raw 8-bit Latin-1 in the Subject header
            "subject_startswith": "Formação FrenetikPolis",
        },
    ),
    ("ruby_mail/mime_emails/raw_email_encoded_stack_level_too_deep.eml", {"text_contains": "Nicolas Fouché"}),
    ("ruby_mail/rfc6532/utf8_headers.eml", {"sender_address": "jdöe@mächine.example", "sender_name": "Jöhn Doe"}),
    (
        "ruby_mail/attachment_emails/attachment_with_unquoted_name.eml",
        {
            "attachments": [("This is a test.txt", "text/plain")],
            "text": "This is the first part.\n",
        },
    ),
    (
        "ruby_mail/attachment_emails/attachment_with_base64_encoded_name.eml",
        {
            "attachments": [("This is a test.pdf", "application/pdf")],
        },
    ),
    ("ruby_mail/attachment_emails/attachment_nonascii_filename.eml", {"attachments": [("ciële.txt", "text/plain")]}),
    (
        "ruby_mail/attachment_emails/attachment_message_rfc822.eml",
        {
            "attachments": [("ForwardedMessage.eml", "message/rfc822")],
        },
    ),
]


@pytest.mark.parametrize(("name", "expected"), FIXTURE_CASES, ids=[name for name, _ in FIXTURE_CASES])
def test_fixture_fields(name: str, expected: dict[str, Any]) -> None:
    message = parse_fixture(name)
    assert message.channel == "email"
    assert message.received_at == RECEIVED and message.recipient == "soporte@example.com"
    for field in ("native_id", "sender_address", "sender_name", "subject", "text", "thread_hints"):
        if field in expected:
            assert getattr(message, field) == expected[field], field
    if "text_contains" in expected:
        assert expected["text_contains"] in message.text
    if "html_contains" in expected:
        assert expected["html_contains"] in message.html
    if "subject_startswith" in expected:
        assert message.subject.startswith(expected["subject_startswith"])
    if "attachments" in expected:
        assert [(a.filename, a.content_type) for a in message.attachments] == expected["attachments"]
    for attachment in message.attachments:
        assert attachment.content is not None
        assert attachment.size == len(attachment.content)
        assert attachment.sha256 == hashlib.sha256(attachment.content).hexdigest()


def test_attached_message_keeps_its_headers_as_content() -> None:
    inner = parse_fixture("cpython/msg_42.txt").attachments[0].content or b""
    assert inner.startswith(b"From: webmaster@python.org\nTo: zzz@example.com\n")


def test_bounce_keeps_delivery_status_and_selected_headers() -> None:
    message = parse_fixture("chatwoot/bounced_gmail.eml")
    assert message.sender_address == "mailer-daemon@googlemail.com"
    assert message.headers["return-path"] == "<>"
    assert message.headers["auto-submitted"] == "auto-replied"
    assert message.headers["x-failed-recipients"] == "alex.jones@fictionalcorp.com"
    assert message.headers["content-type"].startswith("multipart/report")
    assert 'report-type="delivery-status"' in message.headers["content-type"]
    assert "received" not in message.headers and "subject" not in message.headers
    assert "Address not found" in message.text and "Address not found" in message.html
    assert [a.content_type for a in message.attachments] == ["image/png", "message/delivery-status", "message/rfc822"]


QMAIL_BOUNCE = b"""From: MAILER-DAEMON@mail.andina.com.co
To: soporte@tecnolinux.com
Subject: failure notice
Message-ID: <qmail-1@mail.andina.com.co>

Hi. This is the qmail-send program at mail.andina.com.co.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<nadie@andina.com.co>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <soporte@tecnolinux.com>
Message-ID: <gw-0123456789abcdef0123456789abcdef@tecnolinux.com>
Subject: [TL-000001] Servidor

Recibimos su solicitud.
"""


def test_a_bounce_that_is_no_delivery_report_still_names_who_failed_and_what_bounced() -> None:
    """qmail writes no RFC 3464 report: flufl.bounce's detectors still read the failed recipient."""
    message = parse(QMAIL_BOUNCE.replace(b"\n", b"\r\n"))
    assert message.failed_recipients == ("nadie@andina.com.co",)
    assert "gw-0123456789abcdef0123456789abcdef@tecnolinux.com" in message.thread_hints


# --- hand-built mail -------------------------------------------------------------------------------------------

BASE = "From: Ana Pérez <Ana@Cliente.example>\nTo: soporte@example.com\nSubject: VPN\nMessage-ID: <abc@cliente.example>"


@pytest.mark.parametrize(
    ("raw", "field", "expected"),
    [
        (mail(BASE), "native_id", "abc@cliente.example"),
        (mail(BASE), "sender_address", "ana@cliente.example"),
        (mail(BASE), "sender_name", "Ana Pérez"),
        (
            mail("From: =?utf-8?Q?Jos=C3=A9?= <jose@x.example>\nSubject: =?iso-8859-1?Q?Caf=E9_ca=EDdo?="),
            "subject",
            "Café caído",
        ),
        (mail("From: a@x.example\nSubject: Hola\n   mundo,\n\tsigue  caído"), "subject", "Hola mundo, sigue caído"),
        (
            mail("From: a@x.example\nSubject: =?utf-8?Q?bad=ZZword?= y =?x-nope?B?????="),
            "subject",
            "bad=ZZword y =?x-nope?B?????=",
        ),  # decoded leniently, the unknown charset left as written
        (
            mail("To: s@example.com\nReply-To: Luis <luis@x.example>\nSubject: sin From"),
            "sender_address",
            "luis@x.example",
        ),
        (mail('From: "Ana" <>\nSender: Ana Sender <ana.sender@x.example>'), "sender_address", "ana.sender@x.example"),
        (mail('From: "Ana" <>\nSender: <ana.sender@x.example>'), "sender_name", "Ana"),
        (mail("From: nadie\nReturn-Path: <rp@x.example>"), "sender_address", "rp@x.example"),
        (mail("From: nadie"), "sender_address", ""),
        (mail("From: a@x.example\nMessage-ID: sin-corchetes@x.example"), "native_id", "sin-corchetes@x.example"),
        (mail("From: a@x.example\nDate: not a date at all"), "received_at", RECEIVED),
    ],
    ids=[
        "message-id",
        "address-lowercased",
        "display-name",
        "rfc2047-words",
        "folded-subject",
        "bad-rfc2047-words",
        "no-from-uses-reply-to",
        "empty-from-uses-sender",
        "from-name-kept-with-fallback-address",
        "return-path-last-resort",
        "no-address-at-all",
        "message-id-without-brackets",
        "date-not-trusted",
    ],
)
def test_header_fallbacks(raw: bytes, field: str, expected: object) -> None:
    assert getattr(parse(raw), field) == expected


def test_missing_message_id_uses_the_hash_of_the_raw_bytes() -> None:
    raw = mail("From: a@x.example\nSubject: sin id")
    assert parse(raw).native_id == "sha256:" + hashlib.sha256(raw).hexdigest()


def test_thread_hints_in_order_deduplicated_with_gateway_keys() -> None:
    raw = mail(
        f"From: a@x.example\nIn-Reply-To: <gw-{GW_HEX}@soporte.example>\n"
        f"References: <first@x.example>\n <gw-{GW_HEX}@soporte.example> <first@x.example>\n <last@x.example>"
    )
    assert parse(raw).thread_hints == (
        f"gw-{GW_HEX}@soporte.example",
        f"gw-{GW_HEX}",
        "first@x.example",
        "last@x.example",
    )


def test_a_look_alike_gateway_id_gives_no_bare_key() -> None:
    raw = mail("From: a@x.example\nIn-Reply-To: <gw-1234@soporte.example>")
    assert parse(raw).thread_hints == ("gw-1234@soporte.example",)


@pytest.mark.parametrize(
    ("charset_header", "body", "expected"),
    [
        ("text/plain; charset=iso-8859-1", "Señor, el menú €".encode("cp1252"), "Señor, el menú €"),
        ("text/plain; charset=windows-1252", "“Caído” – ñandú".encode("cp1252"), "“Caído” – ñandú"),
        ("text/plain; charset=us-ascii", "mal etiquetado: ñ".encode(), "mal etiquetado: ñ"),
        ("text/plain; charset=x-unknown-label", "acción".encode(), "acción"),
        ("text/plain; charset=x-unknown-label", "acción".encode("cp1252"), "acción"),
        ("text/plain; charset=utf-8", b"roto \xff aqu\xc3\xad", "roto \ufffd aquí"),
        ("text/plain; charset=base64", b"texto", "texto"),
        ("text/plain", "sin charset ñ".encode(), "sin charset ñ"),
    ],
)
def test_body_charsets(charset_header: str, body: bytes, expected: str) -> None:
    raw = f"From: a@x.example\nContent-Type: {charset_header}\nContent-Transfer-Encoding: 8bit\n\n".encode() + body
    assert parse(raw).text == expected


NESTED = b"""From: a@x.example
Subject: nested
Content-Type: multipart/mixed; boundary="OUT"

--OUT
Content-Type: multipart/alternative; boundary="ALT"

--ALT
Content-Type: text/plain; charset=utf-8

Texto del cliente
--ALT
Content-Type: multipart/related; boundary="REL"

--REL
Content-Type: text/html; charset=utf-8

<p>Texto del <b>cliente</b><img src="cid:logo"></p>
--REL
Content-Type: image/png
Content-ID: <logo>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--REL--
--ALT--
--OUT
Content-Type: application/pdf
Content-Disposition: attachment; filename*=utf-8''informe%20a%C3%B1o.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--OUT
Content-Type: text/plain; charset=utf-8
Content-Disposition: attachment; filename="=?utf-8?B?bG9nIGRlIGVycm9yLnR4dA==?="

error log
--OUT
Content-Type: message/rfc822

From: other@x.example
Subject: reenviado

Texto del mensaje adjunto
--OUT--
"""


def test_nested_multipart_body_and_attachments() -> None:
    message = parse(NESTED)
    assert message.text == "Texto del cliente"
    assert "<b>cliente</b>" in message.html
    assert "mensaje adjunto" not in message.text + message.html
    assert [(a.filename, a.content_type) for a in message.attachments] == [
        ("attachment-1", "image/png"),
        ("informe año.pdf", "application/pdf"),
        ("log de error.txt", "text/plain"),
        ("attachment-4", "message/rfc822"),
    ]
    assert message.attachments[1].content == b"%PDF-1.4\n"
    assert b"Texto del mensaje adjunto" in (message.attachments[3].content or b"")


def test_attachment_over_the_size_limit_is_a_reference_with_a_note() -> None:
    message = parse(NESTED, max_attachment_bytes=8)
    pdf = message.attachments[1]
    assert (pdf.size, pdf.content, pdf.note) == (9, None, "over the size limit (8 bytes)")
    assert pdf.sha256 == hashlib.sha256(b"%PDF-1.4\n").hexdigest()
    assert message.attachments[0].content == b"\x89PNG\r\n\x1a\n"  # 8 bytes: at the limit, kept


@pytest.mark.parametrize(
    ("filename_header", "expected"),
    [
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename="C:\\\\Users\\\\ana\\\\captura.png"', "captura.png"),
        ("attachment; filename*=iso-8859-1''caf%E9.txt", "café.txt"),
        ('attachment; filename="=?iso-8859-1?Q?ma=F1ana.doc?="', "mañana.doc"),
        ("attachment", "attachment-1"),
    ],
)
def test_attachment_names(filename_header: str, expected: str) -> None:
    raw = mail(
        'From: a@x.example\nContent-Type: multipart/mixed; boundary="B"',
        f"--B\nContent-Type: text/plain\n\nhola\n--B\nContent-Type: application/octet-stream\n"
        f"Content-Disposition: {filename_header}\n\nxx\n--B--\n",
    )
    assert [a.filename for a in parse(raw).attachments] == [expected]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty message"),
        (b"   \r\n\r\n ", "empty message"),
        (b"esto no es un correo\n\nni tiene cabeceras\n", "no header fields"),
    ],
)
def test_hopeless_input_raises_mail_parse_error(raw: bytes, reason: str) -> None:
    with pytest.raises(MailParseError) as caught:
        parse(raw)
    assert caught.value.reason == reason


def nested_multipart(depth: int) -> bytes:
    opening = "".join(f'--b{i}\nContent-Type: multipart/mixed; boundary="b{i + 1}"\n\n' for i in range(depth))
    closing = "".join(f"--b{i}--\n" for i in reversed(range(depth)))
    return mail(
        'From: a@x.example\nContent-Type: multipart/mixed; boundary="b0"',
        f"{opening}--b{depth}\nContent-Type: text/plain\n\nhola profundo\n--b{depth}--\n{closing}",
    )


def test_nesting_is_read_down_to_30_levels_and_deeper_is_quarantined() -> None:
    assert parse(nested_multipart(5)).text == "hola profundo"
    with pytest.raises(MailParseError, match="nested deeper than 30 levels"):
        parse(nested_multipart(200))  # no mail client nests so deep; the raw bytes stay in the quarantine


def test_absurd_nesting_is_quarantined_as_soon_as_the_parser_meets_it() -> None:
    with pytest.raises(MailParseError, match="nested deeper than 30 levels"):
        parse(nested_multipart(3000))


def test_broken_structure_still_parses() -> None:
    raw = mail(
        'From: a@x.example\nContent-Type: multipart/mixed; boundary="NUNCA"\nContent-Transfer-Encoding: x-rara',
        "no hay ninguna frontera aqui\n",
    )
    assert "frontera" in parse(raw).text


# --- every shared MIME fixture ---------------------------------------------------------------------------------


def _shared_mime_files() -> list[Any]:
    if not SHARED_MIME.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{SHARED_MIME} is not present"))]
    names = ("LICENSE", "NOTICE", "MIT-LICENSE", "PROVENANCE", "SOURCES", ".gitattributes")
    files = [p for p in sorted(SHARED_MIME.rglob("*")) if p.is_file() and not p.name.startswith(names)]
    return [pytest.param(p, id=str(p.relative_to(SHARED_MIME))) for p in files]


@pytest.fixture(scope="module")
def normalizer() -> Normalizer:
    return Normalizer("TL", LanguageDetector())


@pytest.mark.parametrize("path", _shared_mime_files())
def test_every_shared_mime_fixture_parses_or_is_quarantined(path: Path, normalizer: Normalizer) -> None:
    try:
        message = parse(path.read_bytes())
    except MailParseError as error:
        assert error.reason
        return
    assert isinstance(message, InboundMessage)
    for text in (message.subject, message.text, message.html, message.sender_name, *message.headers.values()):
        text.encode("utf-8")  # storable: no lone surrogates left over from undecodable bytes
    request = normalizer.normalize(message)
    assert request.message is message
    assert request.language in ("es", "en", None)


def test_cc_keeps_each_valid_address_once_without_the_sender() -> None:
    message = parse(
        mail(
            BASE + "\nCc: Jefe <Jefe@Cliente.example>, ana@cliente.example, no-es-correo, jefe@cliente.example,"
            " =?utf-8?q?Mar=C3=ADa?= <maria@cliente.example>"
        )  # fmt: skip
    )
    assert message.cc == ("jefe@cliente.example", "maria@cliente.example")


@pytest.mark.parametrize("depth", [31, 500])
def test_mime_nested_deeper_than_30_levels_is_not_read(depth: int) -> None:
    """Writing such a tree back out (to store an inner part) took the standard library minutes at 500 levels."""
    opening = "".join(f"Content-Type: multipart/mixed; boundary=b{n}\r\n\r\n--b{n}\r\n" for n in range(depth))
    raw = f"From: a@b.co\r\nTo: soporte@example.com\r\n{opening}Content-Type: text/plain\r\n\r\nhola\r\n".encode()
    with pytest.raises(MailParseError, match="nested deeper than 30 levels"):
        parse(raw)
    shallow = "".join(f"Content-Type: multipart/mixed; boundary=b{n}\r\n\r\n--b{n}\r\n" for n in range(5))
    assert parse(f"From: a@b.co\r\n{shallow}Content-Type: text/plain\r\n\r\nhola\r\n".encode()).text.strip() == "hola"


def test_a_charset_with_a_null_character_is_read_or_quarantined_never_a_crash() -> None:
    """Found by `make fuzz` (seed 5790): the standard library's get_payload() raises ValueError on such a part."""
    raw = b'From: a@b.co\r\nContent-Type: text/plain; charset="utf\x00-8"\r\n\r\nhola \xc3\xa1\r\n'
    try:
        assert "hola" in parse(raw).text
    except MailParseError:
        pass
