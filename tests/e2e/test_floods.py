"""A flood of connections against the real `gateway run`, under a low file limit: it keeps answering.

The gateway runs with RLIMIT_NOFILE lowered to 256 (soft and hard). A thousand idle HTTP connections and three
hundred SMTP sessions are opened against it; meanwhile /healthz answers (503, "too many connections", at once:
not a connection that hangs), a new SMTP session is told 421, and the log stays small (no traceback per failed
accept). When the idle connections time out, everything works again.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import smtplib
import socket
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.harness import RunningGateway, gateway_process, wait_for, write_config

FILE_LIMIT = 256


def lower_file_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FILE_LIMIT, FILE_LIMIT))


def descriptors(gateway: RunningGateway) -> dict[str, int]:
    """How many descriptors the gateway holds, by kind (socket, pipe, file ...)."""
    kinds: Counter[str] = Counter()
    folder = Path(f"/proc/{gateway.process.pid}/fd")
    for entry in folder.iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            target = os.readlink(entry)
            kinds[target.split(":")[0] if ":" in target else "file"] += 1
    return dict(kinds)


def healthz(port: int) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def flood(port: int, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        connection = socket.create_connection(("127.0.0.1", port), timeout=30)
        sockets.append(connection)
    return sockets


def idle(config: Path, seconds: int) -> None:
    """Both servers close a connection idle for `seconds`."""
    text = config.read_text().replace("idle_timeout_seconds = 15 ", f"idle_timeout_seconds = {seconds} ")
    config.write_text(text.replace("idle_timeout_seconds = 60 ", f"idle_timeout_seconds = {seconds} "))


def closed_by_peer(connection: socket.socket) -> bool:
    """Whether the other end closed `connection` (what it sent before is read and dropped)."""
    connection.settimeout(0.1)
    try:
        while data := connection.recv(4096):
            del data
        return True
    except TimeoutError:
        return False
    except OSError:
        return True


def test_idle_and_slow_clients_are_disconnected(tmp_path: Path) -> None:
    smtp_port, http_port = write_config(tmp_path)
    idle(tmp_path / "config" / "gateway.toml", 1)
    with gateway_process(tmp_path, smtp_port, http_port):
        silent_http, silent_smtp = flood(http_port, 1)[0], flood(smtp_port, 1)[0]
        slow_headers = flood(http_port, 1)[0]
        slow_headers.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the blank line
        for connection in (silent_http, silent_smtp, slow_headers):
            wait_for(lambda connection=connection: closed_by_peer(connection), timeout=10, what="a disconnect")
            connection.close()
        assert healthz(http_port)[0] == 200


def test_a_connection_flood_under_a_low_file_limit_is_answered_and_survived(tmp_path: Path) -> None:
    smtp_port, http_port = write_config(tmp_path)
    config = tmp_path / "config" / "gateway.toml"
    idle(config, 60)  # the flood holds its connections until the test closes them
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 2_000:
        pytest.skip("this test process needs some 1,500 file descriptors for the flood")
    with gateway_process(tmp_path, smtp_port, http_port, preexec=lower_file_limit) as gateway:
        assert healthz(http_port)[0] == 200
        held = flood(http_port, 1_000)
        try:
            status, body = healthz(http_port)
            assert status == 503 and "too many connections" in body  # answered at once, not left hanging
            try:
                held += flood(smtp_port, 300)
            except TimeoutError as error:  # what held the gateway's descriptors, for whoever looks at this
                raise AssertionError(f"SMTP flood not answered; gateway descriptors: {descriptors(gateway)}") from error
            with pytest.raises(smtplib.SMTPConnectError) as refused:
                smtplib.SMTP("127.0.0.1", smtp_port, timeout=30)  # the answer can wait behind the flood's refusals
            assert refused.value.smtp_code == 421
        finally:
            for connection in held:
                connection.close()
        status, body = wait_for(lambda: (answer := healthz(http_port))[0] == 200 and answer, timeout=20, what="200")
        channels = json.loads(body)["channels"]
        assert channels["email"]["sessions"]["refused"] >= 1 and channels["email"]["sessions"]["limit"] == 32
        assert channels["http"]["refused"] >= 500 and channels["http"]["limit"] == 64  # (256 - 128) / 4 and / 2
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as client:
            client.sendmail("ana@andina.com.co", ["soporte@tecnolinux.com"], b"Subject: VPN\r\n\r\nNo conecta.\r\n")
        wait_for(lambda: gateway.cli_json("tickets", "list"), what="the ticket after the flood")
    log = (tmp_path / "gateway.log").read_text()
    assert len(log) < 200_000 and "Traceback" not in log
