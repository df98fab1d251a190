"""The SLA monitor as an admin runs it: `gateway timers list` shows what a new ticket will be warned about, and
`gateway timers run --at` fires what is due at that moment, once."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.e2e.harness import running_gateway, wait_for
from tests.e2e.test_email_end_to_end import client_mail, send


def test_timers_are_listed_for_a_new_ticket_and_fired_once_at_the_moment_asked(tmp_path: Path) -> None:
    with running_gateway(tmp_path) as gateway:
        request = "La VPN no conecta.\nPrioridad: alta"
        send(gateway.smtp_port, client_mail("VPN caída", request, "<vpn-1@andina.com.co>"))
        timers = wait_for(lambda: gateway.cli_json("timers", "list"), what="the new ticket's timers")
        assert [(t["ticket"], t["kind"]) for t in timers] == [
            ("TL-000001", "response_warning"),
            ("TL-000001", "response_breach"),
            ("TL-000001", "resolution_warning"),
            ("TL-000001", "resolution_breach"),
        ]
        ticket = gateway.cli_json("tickets", "show", "TL-000001")
        assert timers[1]["due_at"] == timers[1]["deadline"] == ticket["response_due"]
        warning = datetime.fromisoformat(timers[0]["due_at"])
        assert warning < datetime.fromisoformat(ticket["response_due"])  # 45 of the 60 business minutes

        fired = gateway.cli("timers", "run", "--at", warning.isoformat())
        assert fired.returncode == 0, fired.stderr
        assert fired.stdout.splitlines()[0].startswith("1 timer(s) fired at")
        assert "TL-000001 response_warning" in fired.stdout
        again = gateway.cli("timers", "run", "--at", warning.isoformat())
        assert again.stdout.startswith("0 timer(s) fired")  # once, however often it is asked

        events = gateway.cli_json("tickets", "show", "TL-000001")["events"]
        [event] = [e for e in events if e["kind"] == "sla_warning"]
        assert event["data"]["which"] == "response" and event["data"]["left_minutes"] == 15
        assert [t["kind"] for t in gateway.cli_json("timers", "list", "--status", "fired")] == ["response_warning"]
        explained = gateway.cli("tickets", "show", "TL-000001", "--explain")
        assert explained.returncode == 0, explained.stderr
        text = explained.stdout
        assert "Plan 'standard': business hours" in text and "Response due" in text and "Pauses: none" in text
        assert "warning: response due" in text and "15 min left" in text
        assert "response_warning  [fired]" in text and "resolution_breach  [pending]" in text
        trace = gateway.cli_json("tickets", "show", "TL-000001", "--explain")
        assert set(trace) == {"deadlines", "pauses", "breaches", "history", "timers"}
        assert [item["kind"] for item in trace["history"]] == ["created", "sla_warning"]
        bad = gateway.cli("timers", "run", "--at", "mañana")
        assert bad.returncode == 1 and bad.stderr.strip().startswith("gateway: error: --at: not an ISO 8601")


def test_the_compliance_report_as_a_manager_asks_for_it(tmp_path: Path) -> None:
    with running_gateway(tmp_path) as gateway:
        send(
            gateway.smtp_port, client_mail("VPN caída", "La VPN no conecta.\nPrioridad: alta", "<vpn-2@andina.com.co>")
        )
        wait_for(lambda: gateway.cli_json("tickets", "list"), what="the ticket")
        today = datetime.now(ZoneInfo("America/Bogota")).date().isoformat()
        report = gateway.cli("report", "--from", today, "--to", today, "--format", "json")
        assert report.returncode == 0, report.stderr
        figures = json.loads(report.stdout)
        assert (figures["tickets"], figures["by_channel"], figures["by_organisation"]) == (
            1,
            {"email": 1},
            {"andina": 1},
        )
        assert figures["compliance"]["response"]["all"]["due"] == 0  # nothing is due yet: not counted
        table = gateway.cli("report", "--from", today, "--to", today)
        assert table.returncode == 0 and "RESPONSE MET" in table.stdout and "Tickets received" in table.stdout
        rows = gateway.cli("report", "--from", today, "--to", today, "--format", "csv", "--org", "andina").stdout
        assert rows.splitlines()[0] == "section,group,figure,value" and "tickets,all,count,1" in rows
        target = tmp_path / "informe.html"
        written = gateway.cli("report", "--from", today, "--to", today, "--format", "html", "--output", str(target))
        assert written.returncode == 0, written.stderr
        assert target.read_text(encoding="utf-8").count("<svg") == 3
        for args, message in (
            (["--from", "ayer", "--to", today], "--from: not a date: 'ayer'"),
            (["--from", today, "--to", "2020-01-01"], "--to 2020-01-01 is before --from"),
            (["--from", today, "--to", today, "--org", "acme"], "--org: no organisation 'acme'"),
        ):
            bad = gateway.cli("report", *args)
            assert bad.returncode == 1 and message in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
