"""IMAP mailbox receiver: reads a support mailbox and commits every message to the inbox before marking it.

It uses imapclient (blocking) rather than aioimaplib: imapclient is the better-maintained library, parses
responses into Python values and covers IDLE, UIDPLUS, MOVE and STARTTLS with a small, documented API. Its calls
run in one worker thread owned by each mailbox, so a slow or dead server never blocks another mailbox, nor the
event loop; IDLE waits in half-second slices, so `stop()` takes effect within about a second.

Per message, in this order: fetch with BODY.PEEK[] -> `accept()` (returns after the commit) -> \\Seen or MOVE
-> the mailbox state (UIDVALIDITY, last UID) in the store. A crash between two steps refetches the message later
and the dedupe on (channel, native id) — the SMTP intake's key — makes that harmless. A batch is accepted
concurrently so it shares one group commit, and is marked and recorded only up to its first failure.

With a `Lease` (several replicas on one store), only the replica holding the mailbox's lease reads it; the others
wait in state "standby" and try again every `STANDBY_SECONDS`. The holder renews the lease while it reads (between
IDLE slices, poll slices and batches); if it dies, another replica takes the mailbox once the lease expires and
resumes from the stored UID. A holder that finds its lease taken (it stalled past the expiry) stops reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from imapclient.exceptions import LoginError

from adapters.email import CHANNEL
from adapters.email.imap_session import ImapMailboxConfig, ImapSession, Selected
from adapters.email.imap_thread import SessionThread
from adapters.email.parse import mail_keys
from adapters.lease import Lease
from ticketing.intake import Accept, AcceptRequest
from ticketing.ports import MailboxPositions, UnitOfWork

__all__ = ["ImapMailbox", "ImapMailboxConfig", "StoreUnavailable"]

IDLE_WAIT_SECONDS = 0.5  # how often an idling mailbox looks at its stop flag
STANDBY_SECONDS = 1.0  # how often a replica without the mailbox's lease tries to take it
BATCH_BYTES = 32 * 1024 * 1024  # a batch of large mail is cut short (one message always goes)


class StoreUnavailable(Exception):
    """`accept()` failed: nothing after the last committed message is marked; retried after a backoff."""


class LeaseLost(Exception):
    """Another replica holds the mailbox's lease now: this one stops reading and waits in standby."""


class ImapMailbox:
    """A receiver for one mailbox: `run()` until `stop()` or cancellation; `status()` for health."""

    def __init__(
        self,
        config: ImapMailboxConfig,
        store: UnitOfWork[MailboxPositions],
        accept: Accept,
        clock: Callable[[], datetime],
        rng: random.Random | None = None,
        backoff_base: float = 1.0,
        backoff_max: float = 300.0,
        ssl_context: ssl.SSLContext | None = None,  # e.g. to trust a private CA; default: the system's
        lease: Lease | None = None,  # several replicas: only the lease's holder reads the mailbox
    ) -> None:
        self._lease = lease
        self._config = config
        self._store = store
        self._accept = accept
        self._clock = clock
        self._rng = rng or random.Random()
        self._backoff = (backoff_base, backoff_max)
        self._ssl_context = ssl_context
        self._thread = SessionThread(config.name)
        self._log = structlog.get_logger("adapters.email.imap").bind(mailbox=config.name)
        self._state = "stopped"
        self._last_message_at: datetime | None = None
        self._last_uid: int | None = None
        self._uidvalidity: int | None = None
        self._last_error: str | None = None
        self._reconnects = 0
        self._caught_up = False

    @property
    def name(self) -> str:
        return self._config.name

    def status(self) -> dict[str, Any]:
        """`reconnects` counts connection attempts after a failure; `last_error` clears once caught up again."""
        return {
            "state": self._state,
            "last_message_at": self._last_message_at.isoformat() if self._last_message_at else None,
            "last_uid": self._last_uid,
            "last_error": self._last_error,
            "uidvalidity": self._uidvalidity,
            "reconnects": self._reconnects,
        }

    def stop(self) -> None:
        """Ask `run()` to return: it leaves IDLE (or a connection attempt) at once, after the batch in hand."""
        self._thread.stop()

    async def run(self) -> None:
        """Connect, catch up, IDLE or poll, reconnect after any failure; returns after `stop()`. Once per instance."""
        self._thread.start()
        failures = 0  # in a row: a connection that caught up starts the count again
        try:
            while not self._thread.stopping.is_set():
                if not await self._take_lease():
                    continue
                self._state = "connecting"
                self._caught_up = False
                try:
                    await self._serve()
                    break
                except LeaseLost:
                    self._log.warning("imap.lease_lost")
                except Exception as error:  # anything at all: back off and reconnect, never die
                    failures = 1 if self._caught_up else failures + 1
                    await self._back_off(error, failures)
        finally:
            self._state = "stopped"
            self._thread.close()
            if self._lease is not None:
                with contextlib.suppress(Exception):  # the store is gone: the lease expires by itself
                    await self._lease.release()
            self._log.info("imap.stopped")

    async def _take_lease(self) -> bool:
        """Whether this replica may read the mailbox now (no lease: always); else a standby pause."""
        try:
            if self._lease is None or await self._lease.hold():
                return True
        except Exception as error:  # the store is unreachable: try again later, as in standby
            self._last_error = f"lease: {type(error).__name__}: {error}"
        if self._state != "standby":
            self._log.info("imap.standby", lease=self._lease.name if self._lease else None)
        self._state = "standby"
        await self._thread.pause(STANDBY_SECONDS)
        return False

    async def _keep_lease(self) -> None:
        """Renew the lease when due; LeaseLost when another replica has it now."""
        if self._lease is not None and self._lease.renewal_due() and not await self._lease.hold():
            raise LeaseLost(self._lease.name)

    async def _back_off(self, error: Exception, failures: int) -> None:
        self._state = "backoff"
        base, cap = self._backoff
        delay = self._rng.uniform(0, min(cap, base * 2 ** (failures - 1)))
        if isinstance(error, LoginError):
            reply = str(error).removeprefix("b'").removesuffix("'")  # imapclient wraps the server's bytes in str()
            self._last_error = f"login failed: {reply}"
            self._log.error("imap.login_failed", error=reply, retry_in=round(delay, 3))  # the account name stays out
        else:
            self._last_error = f"{type(error).__name__}: {error}"
            self._log.error("imap.error", error=self._last_error, retry_in=round(delay, 3))
        await self._thread.pause(delay)
        if not self._thread.stopping.is_set():
            self._reconnects += 1

    async def _serve(self) -> None:
        """One connection: select, catch up, then IDLE or poll until stopped. Raises on any failure."""
        session = await self._thread.call_unless_stopped(
            ImapSession.open, self._config, self._ssl_context, discard=lambda late: late.close(logout=False)
        )
        if session is None:  # stopped while connecting (a slow server, a login penalty)
            return
        clean = False
        try:
            selected = await self._thread.call(session.select)
            last_uid = await self._load_state(selected.uidvalidity)
            self._state = "connected"
            self._log.info("imap.connected", folder=self._config.folder, uidvalidity=selected.uidvalidity)
            last_uid = await self._catch_up(session, selected, last_uid)
            self._caught_up, self._last_error = True, None
            while not self._thread.stopping.is_set():
                if selected.can_idle and self._config.idle:
                    await self._idle(session)
                else:
                    await self._poll(session)
                selected, last_uid = await self._reselect(session, selected, last_uid)
                last_uid = await self._catch_up(session, selected, last_uid)
            clean = True
        finally:
            try:
                await self._thread.call(session.close, clean)  # LOGOUT only after a clean stop
            except Exception:  # the connection is already gone
                pass

    async def _idle(self, session: ImapSession) -> None:
        self._state = "idle"
        await self._thread.call(session.idle_start)
        renew_at = time.monotonic() + self._config.idle_renew_seconds
        try:
            while not self._thread.stopping.is_set() and time.monotonic() < renew_at:
                if await self._thread.call(session.idle_wait, IDLE_WAIT_SECONDS):
                    break
                await self._keep_lease()
        finally:
            await self._thread.call(session.idle_end)

    async def _poll(self, session: ImapSession) -> None:
        self._state = "polling"
        wake_at = time.monotonic() + self._config.poll_seconds
        while not self._thread.stopping.is_set() and time.monotonic() < wake_at:
            await self._thread.pause(min(1.0, wake_at - time.monotonic()))
            await self._keep_lease()
        if not self._thread.stopping.is_set():
            await self._thread.call(session.poll)

    async def _reselect(self, session: ImapSession, selected: Selected, last_uid: int) -> tuple[Selected, int]:
        """SELECT again on every wake-up, so a folder renumbered under a live session is noticed too."""
        fresh = await self._thread.call(session.select)
        if fresh.uidvalidity != selected.uidvalidity:
            last_uid = await self._load_state(fresh.uidvalidity)
        return fresh, last_uid

    async def _catch_up(self, session: ImapSession, selected: Selected, last_uid: int) -> int:
        """Accept every UID above `last_uid`, ascending, in batches (of `batch_size` messages and at most
        BATCH_BYTES); search again until nothing is new. Returns the new last UID."""
        while not self._thread.stopping.is_set():
            pending = await self._thread.call(session.uids_after, last_uid)
            if not pending:
                break
            while pending and not self._thread.stopping.is_set():
                await self._keep_lease()
                wanted = pending[: self._config.batch_size]
                uids, fetched = await self._thread.call(session.fetch, wanted, BATCH_BYTES)
                last_uid = await self._commit_batch(session, selected.uidvalidity, uids, fetched, last_uid)
                pending = pending[len(uids) :]
        return last_uid

    async def _commit_batch(
        self, session: ImapSession, uidvalidity: int, uids: list[int], fetched: dict[int, bytes], last_uid: int
    ) -> int:
        present = [uid for uid in uids if uid in fetched]
        requests = [self._request(uid, fetched[uid]) for uid in present]
        results = await asyncio.gather(*(self._accept(request) for request in requests), return_exceptions=True)
        committed: list[int] = []
        failure: BaseException | None = None
        for uid, result in zip(present, results, strict=True):
            if isinstance(result, BaseException):
                failure = result
                break
            committed.append(uid)
            self._last_message_at = self._clock()
            self._log.info("imap.accepted", uid=uid, inbox_id=result.inbox_id, duplicate=result.duplicate)
        # UIDs expunged by someone else between SEARCH and FETCH are done too, up to the first failure.
        done = [uid for uid in uids if failure is None or uid < present[len(committed)]]
        if committed:
            await self._thread.call(session.acknowledge, committed)
        if done:
            last_uid = max(done)
            await self._save_state(uidvalidity, last_uid)
        if failure is not None:
            raise StoreUnavailable(f"accept failed: {type(failure).__name__}: {failure}") from failure
        return last_uid

    def _request(self, uid: int, raw: bytes) -> AcceptRequest:
        meta: dict[str, Any] = {
            "mailbox": self._config.name,
            "uid": uid,
            "rcpt_tos": [self._config.address] if self._config.address else [],
            "mail_from": "",
        }
        native_id, content_key = mail_keys(raw)
        return AcceptRequest(CHANNEL, native_id, raw, meta, self._clock(), content_key)

    async def _load_state(self, uidvalidity: int) -> int:
        """The last UID done; 0 (rescan everything) on the first run or when UIDVALIDITY changed."""
        async with self._store.transaction() as tx:
            stored = await tx.get_mailbox_state(self._config.name)
        self._uidvalidity = uidvalidity
        if stored is not None and stored[0] == uidvalidity:
            self._last_uid = stored[1]
            return stored[1]
        self._log.info("imap.rescan", uidvalidity=uidvalidity, stored_uidvalidity=stored[0] if stored else None)
        await self._save_state(uidvalidity, 0)
        return 0

    async def _save_state(self, uidvalidity: int, last_uid: int) -> None:
        async with self._store.transaction() as tx:
            await tx.set_mailbox_state(self._config.name, uidvalidity, last_uid, self._clock())
        self._last_uid = last_uid
