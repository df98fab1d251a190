"""`/metrics` after a scripted scenario on `gateway run`: two mails and a retried copy, their acknowledgements, a
reload. Every counted series of the channels exists from the start; the values are read with prometheus_client's
own parser."""

from __future__ import annotations

import signal
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.harness import RunningGateway, gateway_process, wait_for, write_config
from tests.e2e.test_email_end_to_end import client_mail, send


def samples(gateway: RunningGateway) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{gateway.http_port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def test_what_the_gateway_counted(tmp_path: Path) -> None:
    ports = write_config(tmp_path)
    with gateway_process(tmp_path, *ports) as gateway:
        before = samples(gateway)
        assert value(before, "gateway_messages_in_total", channel="web") == 0  # present from the start
        assert value(before, "gateway_replies_total", channel="email", result="dead") == 0
        assert value(before, "gateway_sla_events_total", kind="breach") == 0

        first = client_mail("Impresora", "No imprime.", "<m-1@andina.com.co>")
        send(gateway.smtp_port, first)
        send(gateway.smtp_port, first)  # the same mail again: a retrying server
        send(gateway.smtp_port, client_mail("VPN", "No conecta.", "<m-2@andina.com.co>"))
        found = wait_for(
            lambda: (
                (s := samples(gateway)) and value(s, "gateway_acknowledgements_sent_total", channel="email") == 2 and s
            ),
            what="two acknowledgements counted",
        )
        assert value(found, "gateway_messages_in_total", channel="email") == 2
        assert value(found, "gateway_duplicates_refused_total", channel="email") == 1
        assert value(found, "gateway_replies_total", channel="email", result="sent") == 2
        assert value(found, "gateway_intake_to_ticket_seconds_count", channel="email") == 2
        assert value(found, "gateway_outbox_delivery_seconds_count", channel="email") == 2
        assert value(found, "gateway_outbox_delivery_seconds_bucket", channel="email", le="+Inf") == 2

        gateway.process.send_signal(signal.SIGHUP)
        wait_for(
            lambda: value(samples(gateway), "gateway_config_reloads_total", result="applied") == 1, what="a reload"
        )
        assert value(samples(gateway), "gateway_config_reloads_total", result="refused") == 0
