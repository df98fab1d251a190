"""End to end, as a user runs it: `gateway run` in a subprocess, real mail in with smtplib, replies out to a sink."""

from __future__ import annotations

import email
import email.policy
import mailbox
import signal
import smtplib
from email.message import EmailMessage
from pathlib import Path

from tests.e2e.harness import running_gateway, sink_outgoing, smtp_sink, wait_for

SUPPORT = "soporte@tecnolinux.com"


def client_mail(
    subject: str,
    body: str,
    message_id: str,
    sender: str = "Ana Gómez <ana@andina.com.co>",
    in_reply_to: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body)
    return message


def send(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)


def test_mail_becomes_a_ticket_acknowledged_threaded_and_deduplicated(tmp_path: Path) -> None:
    with smtp_sink() as (sink, sink_port):
        outgoing = sink_outgoing(sink_port)
        with running_gateway(tmp_path, outgoing) as gateway:
            first = client_mail(
                "Servidor de facturación caído",
                "Buenos días,\n\nEl servidor de facturación no responde desde las 8.\nPrioridad: alta\n\nGracias",
                "<first-1@andina.com.co>",
            )
            send(gateway.smtp_port, first)
            ack = wait_for(lambda: sink.messages and sink.messages[0], what="the acknowledgement")
            assert ack["Subject"] == "[TL-000001] Servidor de facturación caído"
            assert ack["To"] == "ana@andina.com.co"
            assert ack["In-Reply-To"] == "<first-1@andina.com.co>"
            assert ack["Auto-Submitted"] == "auto-replied"
            assert ack["Message-ID"].startswith("<gw-") and ack["Message-ID"].endswith("@tecnolinux.com>")
            text = ack.get_content()
            assert "TL-000001" in text and "Prioridad:  Alto" in text and "(GMT-5)" in text
            assert text.count("(GMT-5)") >= 2  # both deadlines, as local time with the offset

            [ticket] = gateway.cli_json("tickets", "list")
            assert (ticket["number"], ticket["priority"], ticket["plan"], ticket["status"]) == (
                "TL-000001",
                "high",
                "standard",
                "new",
            )
            assert ticket["response_due"] and ticket["resolution_due"]

            # The same Message-ID delivered again (a retrying mail server) changes nothing.
            send(gateway.smtp_port, first)
            # The client answers the acknowledgement: threaded by the tag and by In-Reply-To.
            send(
                gateway.smtp_port,
                client_mail(
                    "RE: [TL-000001] Servidor de facturación caído",
                    "Adjunto más detalles: el error es 503.\n\nSaludos,\nAna Gómez\nJefa de Sistemas\nAndina S.A.S.\n"
                    "Tel. +57 601 555 0101\n\nAVISO DE CONFIDENCIALIDAD: Este mensaje y sus anexos son confidenciales.\n\n"
                    "El lun, 23 nov 2026 a las 9:00, Soporte escribió:\n> Recibimos su solicitud",
                    "<second-2@andina.com.co>",
                    in_reply_to=ack["Message-ID"],
                ),
            )
            # A stranger quoting the number gets a ticket of their own.
            send(
                gateway.smtp_port,
                client_mail(
                    "[TL-000001] quiero ver ese caso",
                    "Hola",
                    "<x-3@gmail.com>",
                    sender="curioso@gmail.com",
                ),
            )
            wait_for(lambda: len(sink.messages) >= 2, what="the stranger's reply")
            shown = wait_for(
                lambda: (
                    (t := gateway.cli_json("tickets", "show", "TL-000001"))
                    and sum(m["direction"] == "in" for m in t["messages"]) == 2
                    and t
                ),
                what="the reply on TL-000001",
            )
            bodies = [m["body"] for m in shown["messages"] if m["direction"] == "in"]
            assert bodies[0].endswith("Prioridad: alta\n\nGracias")  # the client's closing stays
            # the quote, the contact block under the closing and the legal notice go; the closing stays
            assert bodies[1] == "Adjunto más detalles: el error es 503.\n\nSaludos,"
            assert [m["delivery_state"] for m in shown["messages"] if m["direction"] == "out"] == ["sent"]
            tickets = gateway.cli_json("tickets", "list")
            assert sorted((t["number"], t["status"]) for t in tickets) == [
                ("TL-000001", "new"),
                ("TL-000002", "not_covered"),
            ]
            assert [m["To"] for m in sink.messages] == ["ana@andina.com.co", "curioso@gmail.com"]
            health = gateway.healthz()
            assert health["status"] == "ok" and health["queues"]["outbox_pending"] == 0

            gateway.process.send_signal(signal.SIGTERM)
            assert gateway.process.wait(timeout=20) == 0
        assert "Traceback" not in (tmp_path / "gateway.log").read_text()
        assert "Buenos días" not in (tmp_path / "gateway.log").read_text()  # no bodies in the logs


def test_default_configuration_writes_replies_to_the_local_maildir(tmp_path: Path) -> None:
    with running_gateway(tmp_path) as gateway:
        send(
            gateway.smtp_port, client_mail("Consulta de licencias", "¿Cómo renuevo la licencia?", "<q-1@andina.com.co>")
        )
        folder = tmp_path / "var" / "mail" / "sent"
        wait_for(lambda: (folder / "new").is_dir() and any((folder / "new").iterdir()), what="a reply in the Maildir")
        [(key, raw)] = [(k, m.as_bytes()) for k, m in mailbox.Maildir(folder, create=False).items()]
        reply = email.message_from_bytes(raw, policy=email.policy.default)
        assert reply["Subject"] == "[TL-000001] Consulta de licencias"
        assert "Prioridad:  Bajo" in reply.get_content()  # "cómo" is a usage question: low priority
        assert (tmp_path / "var" / "gateway.sqlite3").is_file()


def test_an_outbox_failure_is_visible_and_retryable(tmp_path: Path) -> None:
    refused_port = 9  # nothing listens on the discard port: every attempt fails temporarily
    outgoing = f'transport = "smtp"\nhost = "127.0.0.1"\nport = {refused_port}\nsecurity = "none"'
    with running_gateway(tmp_path, outgoing.replace("max_attempts = 8", "")) as gateway:
        send(gateway.smtp_port, client_mail("Impresora", "No imprime", "<p-1@andina.com.co>"))
        failed = wait_for(lambda: gateway.cli_json("outbox", "list", "--failed"), what="a failed delivery")
        assert failed[0]["ticket"] == "TL-000001" and "cannot reach" in failed[0]["last_error"]
        retried = gateway.cli("outbox", "retry", str(failed[0]["id"]))
        assert retried.returncode == 0 and "queued again" in retried.stdout
        missing = gateway.cli("outbox", "retry", "999")
        assert missing.returncode == 1 and missing.stderr.strip() == "gateway: error: no outbox item 999"


def test_a_client_who_restates_the_priority_in_a_reply_changes_it(tmp_path: Path) -> None:
    """The acknowledgement invites 'Prioridad: alta' in a reply; the reply does change the priority."""
    with smtp_sink() as (sink, sink_port), running_gateway(tmp_path, sink_outgoing(sink_port)) as gateway:
        send(gateway.smtp_port, client_mail("Correo lento", "El correo tarda en llegar.", "<p-1@andina.com.co>"))
        ack = wait_for(lambda: sink.messages and sink.messages[0], what="the acknowledgement")
        assert "Prioridad:  Medio" in ack.get_content()
        answer = "Prioridad: crítica\n\nYa no llega ningún correo."
        send(
            gateway.smtp_port, client_mail(ack["Subject"], answer, "<p-2@andina.com.co>", in_reply_to=ack["Message-ID"])
        )
        confirmation = wait_for(lambda: len(sink.messages) >= 2 and sink.messages[1], what="the confirmation")
        shown = gateway.cli_json("tickets", "show", "TL-000001")
    assert confirmation["Subject"] == "[TL-000001] Correo lento"
    assert "a Crítico, como nos indicó" in confirmation.get_content()
    assert shown["priority"] == "critical"
    assert [e["data"]["by"] for e in shown["events"] if e["kind"] == "priority"] == ["client"]


def test_colleagues_in_cc_are_copied_on_the_replies_and_strangers_are_not(tmp_path: Path) -> None:
    with smtp_sink() as (sink, sink_port), running_gateway(tmp_path, sink_outgoing(sink_port)) as gateway:
        mail = client_mail("VPN caída", "La VPN no conecta.", "<cc-1@andina.com.co>")
        mail["Cc"] = "Jefe <jefe@andina.com.co>, curioso@gmail.com"
        send(gateway.smtp_port, mail)
        ack = wait_for(lambda: sink.messages and sink.messages[0], what="the acknowledgement")
        shown = gateway.cli_json("tickets", "show", "TL-000001")
    assert ack["To"] == "ana@andina.com.co" and ack["Cc"] == "jefe@andina.com.co"
    assert shown["watchers"] == ["jefe@andina.com.co"]
