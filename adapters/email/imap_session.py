"""One logged-in IMAP connection on one folder, in blocking calls: the wire half of the IMAP mailbox receiver.

It only speaks IMAP, through imapclient: connect with implicit TLS, STARTTLS or plain text, SELECT, `UID SEARCH`,
fetch with `BODY.PEEK[]` (fetching never sets \\Seen), mark or MOVE after the commit, and IDLE in short waits so
the caller can stop between two of them. What to fetch and when to mark is the receiver's business
(`adapters.email.imap`, which also re-exports the mailbox settings defined here). Every method blocks: call them
in the mailbox's own thread (`adapters.email.imap_thread`).
"""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient
from imapclient.imapclient import SocketTimeout

SEEN = b"\\Seen"
DELETED = b"\\Deleted"
_WAKE_UP = frozenset({b"EXISTS", b"RECENT"})  # new mail; an untagged NO or BAD also wakes (see idle_wait)


class ConnectionLost(ConnectionError):
    """The server closed the connection (BYE, or end of stream while idling)."""


@dataclass(frozen=True)
class ImapMailboxConfig:
    """One mailbox to read (re-exported by `adapters.email.imap`, where the receiver that uses it lives)."""

    name: str  # the key for the stored state and for health, e.g. "soporte"
    host: str
    port: int
    security: str  # "tls" (implicit, 993), "starttls", or "none"
    username: str
    password: str  # already read from the environment by the caller
    folder: str = "INBOX"
    address: str = ""  # the support address this mailbox receives (meta["rcpt_tos"])
    after_commit: str = "seen"  # "seen": add \Seen; "move": move to `move_to`
    move_to: str = "Procesados"
    idle: bool = True  # IDLE when the server supports it, else poll
    poll_seconds: float = 60.0
    idle_renew_seconds: float = 25 * 60  # re-issue IDLE before the server's 29-minute limit
    connect_timeout: float = 30.0  # also the read timeout of every command
    batch_size: int = 50

    def __post_init__(self) -> None:
        if self.security not in ("tls", "starttls", "none"):
            raise ValueError(f"mailbox {self.name}: security must be tls, starttls or none, not {self.security!r}")
        if self.after_commit not in ("seen", "move"):
            raise ValueError(f"mailbox {self.name}: after_commit must be seen or move, not {self.after_commit!r}")
        if self.batch_size < 1 or self.poll_seconds <= 0 or self.idle_renew_seconds <= 0:
            raise ValueError(f"mailbox {self.name}: batch_size, poll_seconds and idle_renew_seconds must be > 0")


@dataclass(frozen=True)
class Selected:
    uidvalidity: int
    can_idle: bool


class ImapSession:
    """A connected, logged-in client; `open()` builds one, `close()` ends it."""

    def __init__(self, client: IMAPClient, settings: ImapMailboxConfig) -> None:
        self._client = client
        self._settings = settings
        self._idling = False

    @classmethod
    def open(cls, settings: ImapMailboxConfig, ssl_context: ssl.SSLContext | None = None) -> ImapSession:
        """Connect (timeouts on connect and on every read), secure the channel as configured, log in."""
        context = None if settings.security == "none" else ssl_context or ssl.create_default_context()
        timeout = SocketTimeout(connect=settings.connect_timeout, read=settings.connect_timeout)
        implicit_tls = settings.security == "tls"
        tls_context = context if implicit_tls else None
        client = IMAPClient(settings.host, settings.port, ssl=implicit_tls, ssl_context=tls_context, timeout=timeout)
        try:
            if settings.security == "starttls":
                client.starttls(context)
            _keep_alive(client.socket())
            client.login(settings.username, settings.password)
            if settings.after_commit == "move" and not client.folder_exists(settings.move_to):
                client.create_folder(settings.move_to)
        except BaseException:
            _shutdown(client)
            raise
        return cls(client, settings)

    def select(self) -> Selected:
        info = self._client.select_folder(self._settings.folder)
        if b"UIDVALIDITY" not in info:
            raise ConnectionLost(f"the server gave no UIDVALIDITY for {self._settings.folder!r}")
        return Selected(int(info[b"UIDVALIDITY"]), self._client.has_capability("IDLE"))

    def uids_after(self, last_uid: int) -> list[int]:
        """Every UID above `last_uid`, ascending. `n:*` always matches the highest UID even when it is below n."""
        found = self._client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in found if uid > last_uid)

    def fetch(self, uids: list[int], max_bytes: int) -> tuple[list[int], dict[int, bytes]]:
        """The longest prefix of `uids` whose mail fits in `max_bytes` (at least one), and the raw bytes of each
        of its UIDs still there (one expunged meanwhile by another client is absent)."""
        sizes = self._client.fetch(uids, ["RFC822.SIZE"])
        prefix: list[int] = []
        total = 0
        for uid in uids:
            total += int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
            if prefix and total > max_bytes:
                break
            prefix.append(uid)
        present = [uid for uid in prefix if uid in sizes]
        response = self._client.fetch(present, ["BODY.PEEK[]"]) if present else {}
        return prefix, {uid: bytes(data[b"BODY[]"]) for uid, data in response.items() if b"BODY[]" in data}

    def acknowledge(self, uids: list[int]) -> None:
        """After the commit: add \\Seen, or move to `move_to` (COPY + \\Deleted + UID EXPUNGE without MOVE)."""
        if self._settings.after_commit != "move":
            self._client.add_flags(uids, [SEEN], silent=True)
        elif self._client.has_capability("MOVE"):
            self._client.move(uids, self._settings.move_to)
        else:
            self._client.copy(uids, self._settings.move_to)
            self._client.add_flags(uids, [SEEN, DELETED], silent=True)
            if self._client.has_capability("UIDPLUS"):
                self._client.uid_expunge(uids)

    def poll(self) -> None:
        """NOOP: lets the server report new mail, and finds out whether the connection still works."""
        self._client.noop()

    def idle_start(self) -> None:
        self._client.idle()
        self._idling = True

    def idle_wait(self, timeout: float) -> bool:
        """Wait up to `timeout` s in IDLE; True when the caller should leave IDLE and look: new mail (EXISTS,
        RECENT); an untagged NO or BAD (Dovecot's answer when the folder is deleted under us: the re-SELECT that
        follows sees the new UIDVALIDITY); or a wake-up with no complete line (the end of the stream: the DONE
        that follows fails and the caller reconnects)."""
        started = time.monotonic()
        responses: list[Any] = self._client.idle_check(timeout)
        for response in responses:
            if response[0] == b"BYE":
                self._idling = False
                raise ConnectionLost("the server said BYE: " + _text(response[1:]))
            if response[0] in (b"NO", b"BAD") or (len(response) > 1 and response[1] in _WAKE_UP):
                return True
        return not responses and time.monotonic() - started < timeout / 2

    def idle_end(self) -> None:
        self._idling = False
        self._client.idle_done()

    def close(self, logout: bool = True) -> None:
        """LOGOUT when asked and the conversation is in a state to say it, else just close the socket."""
        if self._idling or not logout:
            _shutdown(self._client)
            return
        try:
            self._client.logout()
        except Exception:
            _shutdown(self._client)


def _keep_alive(sock: socket.socket) -> None:
    """TCP keepalive, so a silently dropped connection fails within minutes, not at the next IDLE renewal."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for option, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 20), ("TCP_KEEPCNT", 3)):
        if hasattr(socket, option):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), value)


def _shutdown(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except Exception:  # already closed: nothing left to release
        pass


def _text(parts: tuple[Any, ...]) -> str:
    return " ".join(part.decode(errors="replace") if isinstance(part, bytes) else str(part) for part in parts)
