"""End to end with a real Dovecot: mail waiting in the mailbox while the gateway is down becomes exactly one ticket."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from tests.dovecot import DovecotServer
from tests.e2e.harness import gateway_process, wait_for, write_config


def mail(subject: str, message_id: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Ana Gómez <sistemas@andina.com.co>"
    message["To"] = "soporte@tecnolinux.com"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content(body)
    return bytes(message)


def test_mail_delivered_while_the_gateway_is_down_becomes_one_ticket_each(
    tmp_path: Path, dovecot: DovecotServer
) -> None:
    mailbox = (
        '\n[[channels.email.imap]]\nname = "soporte"\nhost = "127.0.0.1"\n'
        f'port = {dovecot.port}\nsecurity = "none"\n'
        'username_env = "GATEWAY_IMAP_USERNAME"\npassword_env = "GATEWAY_IMAP_PASSWORD"\n'
        'address = "soporte@tecnolinux.com"\n'
    )
    ports = write_config(tmp_path, extra=mailbox)
    secrets = {"GATEWAY_IMAP_USERNAME": dovecot.user, "GATEWAY_IMAP_PASSWORD": dovecot.password}
    first = mail("Impresora atascada", "<imap-1@andina.com.co>", "La impresora del piso 2 está atascada.")
    dovecot.deliver(first, mail("VPN", "<imap-2@andina.com.co>", "¿Cómo configuro la VPN en el portátil nuevo?"))

    with gateway_process(tmp_path, *ports, env=secrets) as gateway:
        tickets = wait_for(lambda: len(t := gateway.cli_json("tickets", "list")) == 2 and t, what="two tickets")
        assert sorted(t["subject"] for t in tickets) == ["Impresora atascada", "VPN"]
        assert wait_for(lambda: all(b"\\Seen" in flags for flags in dovecot.flags().values()), what="\\Seen")
        health = gateway.healthz()
        assert health["channels"]["email"]["imap"]["soporte"]["state"] in ("idle", "connected")

    # While the gateway is down: the same message again (a resend) and a new one.
    dovecot.deliver(first, mail("Correo lento", "<imap-3@andina.com.co>", "El correo está muy lento hoy."))
    with gateway_process(tmp_path, *ports, env=secrets) as gateway:
        tickets = wait_for(lambda: len(t := gateway.cli_json("tickets", "list")) >= 3 and t, what="the third ticket")
        wait_for(lambda: all(b"\\Seen" in flags for flags in dovecot.flags().values()), what="all seen")
        assert len(gateway.cli_json("tickets", "list")) == 3  # the resent message made no second ticket
        assert sorted(t["subject"] for t in tickets) == ["Correo lento", "Impresora atascada", "VPN"]
        replies = list((tmp_path / "var" / "mail" / "sent" / "new").iterdir())
        assert len(replies) == 3  # one acknowledgement per ticket, none for the duplicate
