"""Shared test helpers: every test builds what it needs from these, no globals."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

if TYPE_CHECKING:
    from adapters.labels import Texts
    from gateway.runtime.bootstrap import Gateway
    from tests.dovecot import DovecotServer

PROJECT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dovecot() -> Iterator[DovecotServer]:
    """A real Dovecot IMAP server on a loopback port, for this test only (skipped, saying why, without Dovecot)."""
    from tests.dovecot import DovecotServer  # it uses free_port from this module

    server = DovecotServer.create()
    server.start()
    yield server
    server.remove()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(cert, key) of a self-signed certificate for localhost and 127.0.0.1, made by the openssl CLI (an HTTPS
    server on loopback that a test's client trusts; skipped, saying why, without openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed: no self-signed certificate for an HTTPS test server")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@asynccontextmanager
async def serving_webhooks(gateway: Gateway) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    """A built gateway with its store open and its channels' webhooks served on loopback; all closed after."""
    await gateway.store.open()
    app = web.Application()
    for prefix, subapp in gateway.webhooks.items():
        app.add_subapp(prefix, subapp)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()
        for close in gateway.closers:
            await close()
        await gateway.store.close()


@pytest.fixture
def project_dir() -> Path:
    return PROJECT


def project_texts() -> Texts:
    """The labels and opening hours of the example configuration, as the gateway loads them."""
    from gateway.config.loader import load_settings

    return load_settings(PROJECT / "config" / "gateway.toml", {}).texts


def at(text: str) -> datetime:
    """A UTC instant from ISO text, for readable tests."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
