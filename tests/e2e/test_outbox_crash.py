"""A gateway killed while it sends a reply: the reply goes out again after the restart, once more, with the same
Message-ID (so the client's mail program can tell it is the same message), and the resend is counted."""

from __future__ import annotations

import asyncio
import smtplib
import urllib.request
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.e2e.harness import SinkHandler, gateway_process, sink_outgoing, smtp_sink, wait_for, write_config


class StallingSink(SinkHandler):
    """Takes the first message and never answers its DATA; later ones get 250 at once."""

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.messages) == 1:
            await asyncio.sleep(120)  # the gateway is killed while it waits for this answer
        return answer


def metric(http_port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=5) as response:
        lines = response.read().decode().splitlines()
    return float(next(line.split()[-1] for line in lines if line.startswith(name + " ")))


def test_a_reply_whose_sender_was_killed_mid_send_is_sent_again_once_and_counted(tmp_path: Path) -> None:
    with smtp_sink(StallingSink()) as (sink, sink_port):
        smtp_port, http_port = write_config(tmp_path, sink_outgoing(sink_port))
        with gateway_process(tmp_path, smtp_port, http_port) as gateway:
            request = EmailMessage()
            request["From"], request["To"], request["Subject"] = "ana@andina.com.co", "soporte@tecnolinux.com", "VPN"
            request["Message-ID"] = "<vpn-1@andina.com.co>"
            request.set_content("La VPN no conecta desde esta mañana.")
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
                client.send_message(request)
            wait_for(lambda: sink.messages, what="the acknowledgement to reach the sink")
            assert metric(http_port, "gateway_outbox_unknown_outcomes") == 0
            gateway.process.kill()  # SIGKILL while the sink holds the answer to DATA
            gateway.process.wait(timeout=10)
        with gateway_process(tmp_path, smtp_port, http_port):
            wait_for(lambda: len(sink.messages) == 2, what="the acknowledgement sent again")
            first, again = sink.messages
            assert again["Message-ID"] == first["Message-ID"]  # one message to the client's mail program
            assert metric(http_port, "gateway_outbox_unknown_outcomes") == 1
            log = (tmp_path / "gateway.log").read_text()
            assert log.count("outbox.resend_unknown_outcome") == 1
        assert len(sink.messages) == 2  # and not a third time
