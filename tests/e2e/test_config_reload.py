"""Configuration changes without a restart, on `gateway run` as an admin meets them: an organisation added to
customers.toml counts for the next mail; a broken edit is refused with its file and line and the old configuration
keeps serving; a setting that cannot change live says so; SIGHUPs in the middle of a burst lose nothing."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from tests.e2e.harness import RunningGateway, gateway_process, wait_for, write_config
from tests.e2e.test_email_end_to_end import client_mail, send

NEW_CLIENT = (
    '\n[[organisation]]\nid = "nuevo"\nname = "Nuevo Cliente S.A."\nplan = "standard"\ndomains = ["nuevo.co"]\n'
)


def tickets_by_subject(gateway: RunningGateway, count: int) -> dict[str, dict[str, str]]:
    found = wait_for(lambda: len(t := gateway.cli_json("tickets", "list")) == count and t, what=f"{count} tickets")
    return {ticket["subject"]: ticket for ticket in found}


def config_version(gateway: RunningGateway) -> str:
    return str(gateway.healthz()["config"]["version"])


def test_an_organisation_added_counts_for_the_next_mail_and_a_broken_edit_is_refused(tmp_path: Path) -> None:
    ports = write_config(tmp_path)
    customers = tmp_path / "config" / "customers.toml"
    with gateway_process(tmp_path, *ports) as gateway:
        send(gateway.smtp_port, client_mail("Antes", "Hola", "<a-1@nuevo.co>", sender="it@nuevo.co"))
        assert tickets_by_subject(gateway, 1)["Antes"]["status"] == "not_covered"
        started = config_version(gateway)

        customers.write_text(customers.read_text(encoding="utf-8") + NEW_CLIENT, encoding="utf-8")
        wait_for(lambda: config_version(gateway) != started, what="the reload of customers.toml")
        health = gateway.healthz()["config"]
        assert health["last_reload_error"] is None and health["needs_restart"] == []
        send(gateway.smtp_port, client_mail("Después", "Hola", "<a-2@nuevo.co>", sender="it@nuevo.co"))
        after = tickets_by_subject(gateway, 2)["Después"]
        assert (after["status"], after["plan"]) == ("new", "standard")

        good = customers.read_text(encoding="utf-8")
        customers.write_text(good + '\n[[organisation]]\nid = "roto"\nname = "Roto"\nplan = "oro"\n', encoding="utf-8")
        error = wait_for(lambda: gateway.healthz()["config"]["last_reload_error"], what="the refusal")
        assert "customers.toml" in error and "oro" in error
        send(gateway.smtp_port, client_mail("Durante", "Hola", "<a-3@nuevo.co>", sender="it@nuevo.co"))
        wait_for(lambda: gateway.healthz()["queues"]["inbox_pending"] == 0, what="the mail read")
        time.sleep(5)  # a few more passes over the broken file
        log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
        assert log.count("config.reload_refused") == 1

        customers.write_text(good, encoding="utf-8")  # the CLI, which reads config/ too, works again
        wait_for(lambda: gateway.healthz()["config"]["last_reload_error"] is None, what="the fixed file")
        assert tickets_by_subject(gateway, 3)["Durante"]["plan"] == "standard"  # served by the last good one


def test_a_setting_that_cannot_change_live_says_so(tmp_path: Path) -> None:
    ports = write_config(tmp_path)
    path = tmp_path / "config" / "gateway.toml"
    with gateway_process(tmp_path, *ports) as gateway:
        started = config_version(gateway)
        path.write_text(path.read_text(encoding="utf-8").replace("max_attempts = 8", "max_attempts = 9"))
        gateway.process.send_signal(signal.SIGHUP)
        wait_for(lambda: config_version(gateway) != started, what="the reload")
        assert gateway.healthz()["config"]["needs_restart"] == ["outbox"]
        assert gateway.process.poll() is None


def test_sighups_during_a_burst_lose_nothing(tmp_path: Path) -> None:
    ports = write_config(tmp_path)
    with gateway_process(tmp_path, *ports) as gateway:
        sent = 60

        def burst() -> None:
            for n in range(sent):
                send(gateway.smtp_port, client_mail(f"Caso {n}", "Hola", f"<b-{n}@andina.com.co>"))

        sender = threading.Thread(target=burst)
        sender.start()
        while sender.is_alive():
            gateway.process.send_signal(signal.SIGHUP)
            time.sleep(0.05)
        sender.join()
        tickets_by_subject(gateway, sent)
        assert gateway.process.poll() is None
        log = (tmp_path / "gateway.log").read_text(encoding="utf-8")
        assert "config.reloaded" in log and "Traceback" not in log
