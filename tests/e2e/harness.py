"""Runs the real `gateway run` in a subprocess with a test configuration, and an SMTP sink for its replies."""

from __future__ import annotations

import email
import email.policy
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.conftest import PROJECT, free_port


class SinkHandler:
    """Records every message the gateway relays."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or envelope.content
        assert isinstance(data, bytes)
        self.messages.append(email.message_from_bytes(data, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"


@contextmanager
def smtp_sink(handler: SinkHandler | None = None) -> Iterator[tuple[SinkHandler, int]]:
    """An SMTP server on a free port recording what it receives (with `handler`, a sink of another behaviour)."""
    handler = handler or SinkHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def wait_for(predicate: Any, timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class RunningGateway:
    def __init__(
        self,
        workdir: Path,
        smtp_port: int,
        http_port: int,
        process: subprocess.Popen[str],
        env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.smtp_port = smtp_port
        self.http_port = http_port
        self.process = process
        self.config = workdir / "config" / "gateway.toml"
        self.env = env or {}  # what `gateway run` was given (a database URL): the CLI commands get it too

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gateway", *args, "--config", str(self.config)],
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=60,
            env=_env() | self.env,
        )

    def cli_json(self, *args: str) -> Any:
        result = self.cli(*args, "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def healthz(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/healthz", timeout=5) as response:
            return json.loads(response.read())


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("GATEWAY_CONFIG", None)
    return env


MAILDIR_OUTGOING = 'transport = "maildir"\nmaildir = "var/mail/sent"'


def sink_outgoing(port: int) -> str:
    """The `[channels.email.outgoing]` settings that relay replies to the SMTP sink on `port`."""
    return f'transport = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"'


def write_config(workdir: Path, outgoing: str = MAILDIR_OUTGOING, extra: str = "") -> tuple[int, int]:
    """The example configuration on free ports, with its outgoing mail and any extra TOML; returns (SMTP, HTTP)."""
    smtp_port, http_port = free_port(), free_port()
    shutil.copytree(PROJECT / "config", workdir / "config")
    path = workdir / "config" / "gateway.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("port = 8080", f"port = {http_port}").replace("port = 2525", f"port = {smtp_port}")
    text = text.replace(MAILDIR_OUTGOING, outgoing)
    text = text.replace("base_delay_seconds = 5.0", "base_delay_seconds = 0.2")
    path.write_text(text + extra, encoding="utf-8")
    return smtp_port, http_port


@contextmanager
def gateway_process(
    workdir: Path,
    smtp_port: int,
    http_port: int,
    env: dict[str, str] | None = None,
    preexec: Callable[[], None] | None = None,
) -> Iterator[RunningGateway]:
    """`gateway run` on the configuration in `workdir`, until the block ends (then SIGTERM); `preexec` runs in
    the child before it starts (e.g. to lower its file limit)."""
    log = (workdir / "gateway.log").open("a")
    started_at = (workdir / "gateway.log").stat().st_size
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "run", "--config", str(workdir / "config" / "gateway.toml")],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env() | (env or {}),
        preexec_fn=preexec,
    )
    gateway = RunningGateway(workdir, smtp_port, http_port, process, env)

    def output() -> str:
        return (workdir / "gateway.log").read_text()[started_at:]

    try:
        wait_for(lambda: process.poll() is not None or "Stop with Ctrl+C" in output(), timeout=60, what="the start")
        assert process.poll() is None, output()
        yield gateway
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


@contextmanager
def running_gateway(workdir: Path, outgoing: str = MAILDIR_OUTGOING) -> Iterator[RunningGateway]:
    with gateway_process(workdir, *write_config(workdir, outgoing)) as gateway:
        yield gateway
