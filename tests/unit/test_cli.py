"""The `gateway` command's diagnostic tools and its errors: JSON with the public field names, one-line errors."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gateway.cli.main import main
from gateway.cli.output import outbox_table, table, tickets_table
from ticketing.store.sqlite import SqliteStore
from ticketing.types import Priority, Status, Ticket

PROJECT = Path(__file__).resolve().parents[2]
CONFIG = str(PROJECT / "config" / "gateway.toml")
MAIL = PROJECT / "tests" / "fixtures" / "mime"
NOW = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*args, "--config", CONFIG])
    out, err = capsys.readouterr()
    return code, out, err


def test_normalize_json_has_the_public_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "normalize", str(MAIL / "chatwoot" / "bounced_gmail.eml"), "--json")
    assert code == 0
    data = json.loads(out)
    for field in (
        "body",
        "subject",
        "sender",
        "language",
        "priority",
        "ticket_ref",
        "auto_reply",
        "bounce",
        "attachments",
    ):
        assert field in data
    assert data["bounce"] is True


def test_normalize_a_spanish_reply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = (
        "From: Ana <sistemas@andina.com.co>\r\nTo: soporte@tecnolinux.com\r\nSubject: RE: [TL-000123] VPN\r\n"
        "Message-ID: <r1@andina.com.co>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Sigue sin conectar, es urgente.\r\n\r\nEl lun, 23 nov 2026 a las 9:00, Soporte TecnoLinux <soporte@tecnolinux.com>\r\n"
        "escribió:\r\n> Recibimos su solicitud\r\n"
    ).encode()
    (tmp_path / "reply.eml").write_bytes(raw)
    code, out, _ = run(capsys, "normalize", str(tmp_path / "reply.eml"), "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["body"], data["language"], data["priority"], data["ticket_ref"]) == (
        "Sigue sin conectar, es urgente.",
        "es",
        "high",
        "TL-000123",
    )


def test_sla_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "sla", "--priority", "high", "--plan", "standard", "--received", "2026-11-27T20:00:00Z", "--json"
    )
    data = json.loads(out)
    assert code == 0
    assert (data["response_due"], data["resolution_due"]) == ("2026-11-27T16:00:00-05:00", "2026-11-30T10:30:00-05:00")
    assert data["explanation"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["normalize", "/nonexistent/mail.eml"],
            "gateway: error: cannot read /nonexistent/mail.eml: No such file or directory",
        ),
        (
            ["sla", "--priority", "high", "--plan", "gold", "--received", "2026-11-27T10:00"],
            "gateway: error: unknown plan 'gold'",
        ),
        (
            ["sla", "--priority", "high", "--plan", "standard", "--received", "yesterday"],
            "gateway: error: --received: not an ISO 8601",
        ),
    ],
)
def test_errors_are_one_line(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, _, err = run(capsys, *args)
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and err.startswith(message)


def test_a_bad_argument_is_one_line_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["sla", "--priority", "urgentisimo", "--plan", "standard", "--received", "2026-11-27T10:00"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and len(err.strip().splitlines()) == 1 and "invalid choice" in err


def test_tables_are_aligned_literal_and_never_cut() -> None:
    long_subject = "[URGENTE] " + "muy largo " * 20
    text = table(["NUMBER", "SUBJECT"], [["TL-000001", long_subject.strip()], ["TL-000002", "[bold]x[/bold]"]])
    header, first, second = text.splitlines()
    assert header.split() == ["NUMBER", "SUBJECT"] and header.index("SUBJECT") == first.index("[URGENTE]")
    assert first.endswith("muy largo") and second.endswith("[bold]x[/bold]")  # no markup, no wrapping


def test_a_planned_ticket_has_no_deadline_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sla", "--priority", "planned", "--plan", "standard", "--received", "2026-12-24T10:00")
    assert code == 0 and "None" not in out
    assert out.startswith("response_due:   none: a date is agreed with the client (planned)")
    assert "Closed days skipped" not in out  # nothing was counted, so nothing was skipped


def test_the_version_and_an_unknown_status_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as shown:
        main(["--version"])
    assert shown.value.code == 0 and capsys.readouterr().out.startswith("gateway ")
    with pytest.raises(SystemExit) as refused:
        main(["tickets", "list", "--status", "abierto", "--config", CONFIG])
    err = capsys.readouterr().err
    assert refused.value.code == 2 and len(err.strip().splitlines()) == 1 and "invalid choice: 'abierto'" in err


def test_lists_say_what_is_empty() -> None:
    assert table(["A"], []) == "A"
    assert outbox_table([], ZoneInfo("UTC"), failed_only=True) == "No failed or dead replies."
    assert tickets_table([], ZoneInfo("UTC"), "resolved") == "No tickets with status resolved."


def test_json_piped_into_head_ends_quietly(tmp_path: Path) -> None:
    shutil.copytree(PROJECT / "config", tmp_path / "config")

    async def many_tickets() -> None:
        store = SqliteStore(tmp_path / "var" / "gateway.sqlite3")
        await store.open()
        async with store.transaction() as tx:
            for _ in range(400):
                number = await tx.next_ticket_number("TL")
                await tx.insert_ticket(
                    Ticket(number, "a@b.co", "A", "email", None, "free", Status.NEW, Priority.LOW, None, "x" * 200,
                           "es", NOW, None, None), NOW)  # fmt: skip
        await store.close()

    asyncio.run(many_tickets())
    command = f"{sys.executable} -m gateway tickets list --json --config {tmp_path}/config/gateway.toml | head -c 100"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "" and len(done.stdout) == 100
