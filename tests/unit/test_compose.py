"""Replies composed one after another by one `MailComposer`: the headers it keeps from reply to reply (From, a
returning client's To, the loop guards) come out exactly as a fresh composer writes them, and belong to each mail."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

from adapters.email.senders import MailComposer
from ticketing.types import OutboundReply

NOW = datetime(2026, 12, 1, 13, 5, tzinfo=UTC)


def reply(number: int, recipient: str) -> OutboundReply:
    return OutboundReply(
        ticket_number=f"TL-{number:06d}",
        channel="email",
        recipient=recipient,
        subject=f"[TL-{number:06d}] Re: La impresora no imprime",
        text="Hemos recibido su solicitud.\n",
        message_key=f"gw-{number:08x}",
        thread_key=f"CA+{number}@mail.gmail.com",
        references=(f"CA+{number}@mail.gmail.com",),
        idempotency_key=f"ack-{number}",
        kind="acknowledgement",
    )


def composer() -> MailComposer:
    return MailComposer("Soporte TecnoLinux <soporte@tecnolinux.com>", "tecnolinux.com", lambda: NOW)


def test_a_returning_clients_replies_are_written_as_a_fresh_composer_writes_them() -> None:
    compose = composer()
    client = "José Pérez Ñúñez <jose.perez@empresa.com.co>"
    first, second = compose(reply(1, client)), compose(reply(2, client))
    assert second.as_bytes() == composer()(reply(2, client)).as_bytes()
    assert (first["Message-ID"], second["Message-ID"]) == (
        "<gw-00000001@tecnolinux.com>",
        "<gw-00000002@tecnolinux.com>",
    )
    raw = second.as_bytes()
    assert b"=?utf-8?" in raw and "José".encode() not in raw  # the accented name is an encoded word, as it must be
    assert message_from_bytes(raw, policy=policy.default)["To"].addresses[0].display_name == "José Pérez Ñúñez"


def test_a_header_changed_on_one_mail_stays_on_that_mail() -> None:
    compose = composer()
    first, second = compose(reply(1, "ana@cliente.com")), compose(reply(2, "ana@cliente.com"))
    first.replace_header("To", "otra@cliente.com")
    del first["Auto-Submitted"]
    assert (str(second["To"]), second["Auto-Submitted"]) == ("ana@cliente.com", "auto-replied")
    assert compose(reply(3, "ana@cliente.com"))["To"] == "ana@cliente.com"
