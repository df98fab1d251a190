"""Shared test helpers: every test builds what it needs from these, no globals."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from adapters.labels import Texts
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
