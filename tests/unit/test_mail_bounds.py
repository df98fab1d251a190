"""adapters.email.bounded: what the parser reads of a mail built to make it slow, and what it refuses.

Each limit here was met by `make fuzz` as a read of seconds (issue 11): the mail is still read where a client could
have sent it, and quarantined with a reason where none could.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.email.bounded import MAX_HEADER_CHARS, MAX_PARTS
from adapters.email.parse import MailParseError, parse_email
from ticketing.types import InboundMessage

HEAD = "From: Ana <ana@cliente.co>\r\nTo: soporte@example.com\r\nSubject: fotos\r\n"


def parse(raw: bytes) -> InboundMessage:
    return parse_email(raw, received_at=datetime(2026, 12, 1, 15, tzinfo=UTC), recipient="soporte@example.com")


def multipart(parts: list[str], boundary: str = "top") -> str:
    inner = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts)
    return f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n{inner}--{boundary}--\r\n"


def text_part(text: str) -> str:
    return f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}"


def test_a_mail_of_a_thousand_parts_is_read_and_one_more_is_quarantined_naming_why() -> None:
    parts = [text_part(f"parte {n}") for n in range(MAX_PARTS - 1)]  # the mail itself is a part too
    assert "parte 998" in parse((HEAD + multipart(parts)).encode()).text
    with pytest.raises(MailParseError, match="more than 1,000 MIME parts"):
        parse((HEAD + multipart([*parts, text_part("una de más")])).encode())


def test_past_the_budget_for_mime_headers_a_part_keeps_its_type_and_boundary_but_not_its_name() -> None:
    name = "informe-del-servidor-" + "x" * 150 + ".pdf"
    attachment = (
        f'Content-Type: application/pdf; name="{name}"\r\nContent-Disposition: attachment; filename="{name}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK"
    )
    late = multipart([text_part("el texto del final")], boundary=f"inner; x-padding={'y' * 1000}")
    message = parse((HEAD + multipart([attachment] * 100 + [late])).encode())  # 45 KB of Content-* values
    assert message.attachments[0].filename == name
    assert message.attachments[-1].filename != name
    assert len(message.attachments) == 100
    assert "el texto del final" in message.text  # the nested multipart past the budget is still one


def test_a_repeated_address_header_is_read_up_to_its_size_limit_in_all() -> None:
    """20 "Cc:" values of 16 KB each were 45,000 addresses, seconds of parsing; a client's Cc fits in 16 KB."""
    value = ", ".join(f"usuario{n}@cliente.co" for n in range(MAX_HEADER_CHARS // 20))
    message = parse((HEAD + f"Cc: {value}\r\n" * 20 + "\r\nHola").encode())
    assert message.headers["cc"].startswith("usuario0@cliente.co, usuario1@cliente.co")
    assert len(message.headers["cc"]) <= 2 * MAX_HEADER_CHARS
    both = parse((HEAD + "Cc: a@cliente.co\r\nCc: b@cliente.co\r\n\r\nHola").encode())
    assert both.headers["cc"] == "a@cliente.co, b@cliente.co"
