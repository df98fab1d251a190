"""A throwaway Dovecot 2.3 IMAP server on loopback for the integration tests.

`DovecotServer.create()` writes a dovecot.conf, a passwd-file user and a Maildir root into a fresh directory made
with `tempfile.mkdtemp()` (pytest's `tmp_path` has 0700 parents, and Dovecot's auth process, running as the
`dovecot` user, must read the users file). `start()` runs `dovecot -F -c CONF` as a subprocess and waits for the
port; `stop()` signals the process group the master leads (its PID: SIGTERM to the master alone leaves its imap,
log and stats children running and serving the open connections); `start()` again serves the same port and mail.
Test mail arrives by IMAP APPEND from a second connection, as a delivery agent would drop it. A new UIDVALIDITY:
`recreate_folder()` (delete + create, server running) or `renumber_inbox()` (INBOX can't be deleted: with the
server stopped, drop its dovecot-uidlist and indexes). `require_dovecot()` skips, saying why, when Dovecot is not
installed. Settings and pitfalls: shared/notes/dovecot-for-tests.md.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests.conftest import free_port

DOVECOT = Path("/usr/sbin/dovecot")
OPENSSL = "openssl"
USER = "soporte"
PASSWORD = "clave-de-prueba"

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:{root}/mail/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


def require_dovecot() -> None:
    if not DOVECOT.exists():
        pytest.skip("dovecot not installed (apt-get install dovecot-imapd)")


def _accounts() -> dict[str, str]:
    """Who runs what: as root Dovecot refuses root for its own processes and for mail; otherwise use ourselves."""
    if os.geteuid() == 0:
        return {"internal_user": "dovecot", "internal_group": "dovecot", "login_user": "dovenull", "mail": "nobody"}
    me = pwd.getpwuid(os.geteuid()).pw_name
    return {"internal_user": me, "internal_group": me, "login_user": me, "mail": me}


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def _signal_group_member(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class DovecotServer:
    """One Dovecot instance with one user (`soporte`); plain IMAP on `port`, implicit TLS on `tls_port` if asked."""

    def __init__(self, root: Path, port: int, tls_port: int) -> None:
        self.root = root
        self.port = port
        self.tls_port = tls_port
        self.user = USER
        self.password = PASSWORD
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def create(cls, tls: bool = False) -> DovecotServer:
        require_dovecot()
        root = Path(tempfile.mkdtemp(prefix="dovecot-test-"))
        root.chmod(0o755)
        server = cls(root, free_port(), free_port() if tls else 0)
        accounts = _accounts()
        mail_user = pwd.getpwnam(accounts["mail"])
        for folder in ("run", "state", f"mail/{USER}"):
            (root / folder).mkdir(parents=True)
        shutil.chown(root / "mail", mail_user.pw_uid, mail_user.pw_gid)
        shutil.chown(root / "mail" / USER, mail_user.pw_uid, mail_user.pw_gid)
        (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        (root / "users").chmod(0o644)
        ssl = "ssl = no"
        if tls:
            server._make_certificate()
            ssl = f"ssl = yes\nssl_cert = <{root}/cert.pem\nssl_key = <{root}/key.pem"
        (root / "dovecot.conf").write_text(
            _CONFIG.format(
                root=root,
                port=server.port,
                tls_port=server.tls_port,
                ssl=ssl,
                uid=mail_user.pw_uid,
                gid=mail_user.pw_gid,
                internal_user=accounts["internal_user"],
                internal_group=accounts["internal_group"],
                login_user=accounts["login_user"],
            )
        )
        return server

    @property
    def certificate(self) -> Path:
        """The self-signed certificate (for `localhost` and 127.0.0.1) a TLS client must trust."""
        return self.root / "cert.pem"

    @property
    def maildir(self) -> Path:
        return self.root / "mail" / USER / "Maildir"

    def _make_certificate(self) -> None:
        if shutil.which(OPENSSL) is None:
            pytest.skip("openssl not installed (apt-get install openssl): needed for the TLS test certificate")
        subprocess.run(
            [
                OPENSSL,
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                str(self.root / "key.pem"),
                "-out",
                str(self.certificate),
            ],
            check=True,
            capture_output=True,
        )
        (self.root / "key.pem").chmod(0o644)

    def start(self, timeout: float = 10.0) -> None:
        self._process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so stop() reaches the children too
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                error = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                raise RuntimeError(f"dovecot exited with {self._process.returncode}: {error}{self.log()}")
            if self._answers():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dovecot did not open port {self.port} in {timeout} s: {self.log()}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                return sock.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        """SIGTERM to the process group the master leads (its PID): the master alone would leave its imap, log
        and stats children running, serving the open connections. SIGKILL if it hangs."""
        process, self._process = self._process, None
        if process is None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- the other side: a delivery agent and an inspector ---------------------------------------------

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        """APPEND each message to `folder` (unflagged, so unseen), creating the folder if needed."""
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in messages:
                client.append(folder, raw)

    def flags(self, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        """UID -> flags of every message in `folder` (empty if the folder does not exist)."""
        with self.client() as client:
            if not client.folder_exists(folder):
                return {}
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            return {uid: data[b"FLAGS"] for uid, data in client.fetch(uids, ["FLAGS"]).items()} if uids else {}

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.client() as client:
            return int(client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])

    def recreate_folder(self, folder: str) -> None:
        """Delete and create `folder` again (it gets a new UIDVALIDITY), with the server running."""
        with self.client() as client:
            client.delete_folder(folder)
            client.create_folder(folder)

    def kill_sessions(self) -> int:
        """SIGKILL this server's `imap` processes (the logged-in sessions): connections cut with no BYE."""
        assert self._process is not None, "not running"
        killed = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                pid, rest = stat.read_text().split(" (", 1)
                command, fields = rest.rsplit(") ", 1)
            except OSError:  # the process ended meanwhile
                continue
            if command == "imap" and int(fields.split()[2]) == self._process.pid:  # its process group
                _signal_group_member(int(pid))
                killed += 1
        return killed

    def renumber_inbox(self) -> None:
        """Give INBOX a new UIDVALIDITY (its mail gets new UIDs): with the server stopped, drop its uidlist and
        indexes, as a restore from backup or a migration would. Start the server again afterwards."""
        self.stop()
        for path in self.maildir.glob("dovecot*"):
            if path.name.startswith(("dovecot-uidlist", "dovecot.index")):
                path.unlink()
