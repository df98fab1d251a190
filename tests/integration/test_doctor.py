"""`gateway doctor` against real peers: a Dovecot IMAP server, an aiosmtpd relay that asks for a login, and the
store's file. Run as a user runs it (the command's `main`), judged by its exit status and its table."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from gateway.cli.main import main
from tests.conftest import free_port
from tests.dovecot import DovecotServer
from tests.e2e.harness import sink_outgoing, write_config
from ticketing.store.schema import MIGRATIONS

RELAY_USER, RELAY_PASSWORD = "gateway", "relay-secret-123"
IMAP_SECRETS = ("GATEWAY_IMAP_USERNAME", "GATEWAY_IMAP_PASSWORD")
RELAY_SECRETS = ("GATEWAY_SMTP_USERNAME", "GATEWAY_SMTP_PASSWORD")


def mailbox(port: int, folder: str = "INBOX") -> str:
    return (
        f'\n[[channels.email.imap]]\nname = "soporte"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        f'username_env = "{IMAP_SECRETS[0]}"\npassword_env = "{IMAP_SECRETS[1]}"\nfolder = "{folder}"\n'
    )


def relay_outgoing(port: int) -> str:
    return sink_outgoing(port) + f'\nusername_env = "{RELAY_SECRETS[0]}"\npassword_env = "{RELAY_SECRETS[1]}"'


class Sink:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 OK"


def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object) -> AuthResult:
    good = isinstance(data, LoginPassword) and (data.login, data.password) == (
        RELAY_USER.encode(),
        RELAY_PASSWORD.encode(),
    )
    return AuthResult(success=good, handled=False)


@pytest.fixture
def relay_port() -> Iterator[int]:
    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port, authenticator=authenticate, auth_require_tls=False)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@dataclass
class Peers:
    """The Dovecot and the relay the configuration in `workdir` points at, and the environment to set."""

    workdir: Path
    dovecot: DovecotServer
    relay_port: int
    monkeypatch: pytest.MonkeyPatch

    def configure(self, folder: str = "INBOX") -> None:
        write_config(self.workdir, outgoing=relay_outgoing(self.relay_port), extra=mailbox(self.dovecot.port, folder))

    def secrets(self, *values: str) -> None:
        """The IMAP user and password, then the relay's, in the gateway's environment."""
        for name, value in zip(IMAP_SECRETS + RELAY_SECRETS, values, strict=True):
            self.monkeypatch.setenv(name, value)


@pytest.fixture
def peers(tmp_path: Path, dovecot: DovecotServer, relay_port: int, monkeypatch: pytest.MonkeyPatch) -> Peers:
    return Peers(tmp_path, dovecot, relay_port, monkeypatch)


def doctor(tmp_path: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str]:
    status = main(["doctor", "--config", str(tmp_path / "config" / "gateway.toml"), *flags])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_everything_good_passes_and_no_secret_is_printed(peers: Peers, capsys: pytest.CaptureFixture[str]) -> None:
    peers.configure()
    peers.secrets(peers.dovecot.user, peers.dovecot.password, RELAY_USER, RELAY_PASSWORD)
    status, out = doctor(peers.workdir, capsys)
    assert status == 0, out
    assert "ok  IMAP soporte" in out and "logged in, 'INBOX' found" in out
    assert "ok  SMTP relay" in out and "logged in" in out
    assert "ok  store" in out and "not created yet" in out
    assert peers.dovecot.password not in out and RELAY_PASSWORD not in out


def test_wrong_passwords_fail_with_the_servers_words_and_a_hint(
    peers: Peers, capsys: pytest.CaptureFixture[str]
) -> None:
    peers.configure()
    peers.secrets(peers.dovecot.user, "not-it", RELAY_USER, "not-it-either")
    status, out = doctor(peers.workdir, capsys)
    assert status == 1
    assert "FAIL  IMAP soporte" in out and "login refused: [AUTHENTICATIONFAILED] Authentication failed." in out
    assert f"check {IMAP_SECRETS[0]} and {IMAP_SECRETS[1]}" in out
    assert "FAIL  SMTP relay" in out and "login refused: 535" in out
    assert "not-it" not in out


def test_a_missing_folder_and_unset_secrets_are_named(peers: Peers, capsys: pytest.CaptureFixture[str]) -> None:
    peers.configure(folder="Soporte")
    peers.secrets(peers.dovecot.user, peers.dovecot.password, "", "")
    status, out = doctor(peers.workdir, capsys, "--json")
    assert status == 1
    assert '"detail": "no folder \'Soporte\'"' in out
    assert f'"detail": "{RELAY_SECRETS[0]}, {RELAY_SECRETS[1]} is not set"' in out


def test_a_relay_nobody_answers_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(tmp_path, outgoing=sink_outgoing(free_port()))
    status, out = doctor(tmp_path, capsys)
    assert status == 1
    assert "FAIL  SMTP relay" in out and "cannot connect" in out and "check host, port and security" in out


@pytest.mark.parametrize(
    ("version", "status", "says"),
    [(len(MIGRATIONS), 0, "up to date"), (3, 1, "`gateway run` migrates it"), (len(MIGRATIONS) + 1, 1, "upgrade")],
    ids=["migrated", "behind", "ahead"],
)
def test_the_stores_schema_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], version: int, status: int, says: str
) -> None:
    write_config(tmp_path)
    path = tmp_path / "var" / "gateway.sqlite3"
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        connection.execute("INSERT INTO schema_version VALUES (?)", [version])
    result, out = doctor(tmp_path, capsys)
    assert result == status, out
    assert says in out
    with sqlite3.connect(path) as connection:  # read, never migrated
        assert connection.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == version
