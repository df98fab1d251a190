"""`gateway backup` while `gateway run` keeps taking mail: the copy is whole and sound, has every ticket committed
before it, and never overwrites a file."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from tests.e2e.harness import gateway_process, wait_for, write_config
from tests.e2e.test_email_end_to_end import client_mail, send


def test_a_backup_taken_under_load_is_sound_and_never_overwrites(tmp_path: Path) -> None:
    ports = write_config(tmp_path)
    with gateway_process(tmp_path, *ports) as gateway:
        for n in range(3):
            send(gateway.smtp_port, client_mail(f"Antes {n}", "Hola", f"<before-{n}@andina.com.co>"))
        wait_for(lambda: len(gateway.cli_json("tickets", "list")) == 3, what="three tickets")

        def more_mail() -> None:  # the gateway writes while the backup reads
            for n in range(30):
                send(gateway.smtp_port, client_mail(f"Durante {n}", "Hola", f"<during-{n}@andina.com.co>"))

        writer = threading.Thread(target=more_mail)
        writer.start()
        target = tmp_path / "backups" / "gateway-2026-12-01.sqlite3"
        target.parent.mkdir()
        result = gateway.cli("backup", "--to", str(target))
        writer.join()
        assert result.returncode == 0, result.stderr
        assert "integrity ok" in result.stdout

        with sqlite3.connect(target) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            subjects = {row[0] for row in copy.execute("SELECT subject FROM tickets")}
        assert {"Antes 0", "Antes 1", "Antes 2"} <= subjects
        assert not (target.parent / (target.name + ".partial")).exists()

        again = gateway.cli("backup", "--to", str(target))
        assert again.returncode == 1 and "exists: give the backup a new name" in again.stderr
        assert gateway.process.poll() is None
