"""Two replicas on one store and one mailbox (a real Dovecot): only the lease's holder reads it; when the holder
dies without a word, the other takes the mailbox once the lease expires and goes on from the stored UID, and
nothing is read twice; a clean stop hands the mailbox over at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from adapters.email.imap import ImapMailbox
from adapters.lease import Lease
from tests.dovecot import DovecotServer
from tests.integration.test_imap import config_for, count_is, deliver, eventually, in_state, mail, saved_state_is
from tests.integration.test_imap import store as store  # a real SQLite store
from ticketing.store.sqlite import SqliteStore

TTL = 1.5  # seconds: short, so the takeover is quick


def replica(store: SqliteStore, dovecot: DovecotServer, name: str) -> ImapMailbox:
    def clock() -> datetime:
        return datetime.now(UTC)

    lease = Lease(store, "imap:soporte", name, clock, ttl=TTL)
    return ImapMailbox(config_for(dovecot), store, store.accept, clock, backoff_base=0.05, backoff_max=0.3, lease=lease)


async def test_one_replica_reads_the_mailbox_and_the_other_takes_over_when_it_dies(
    dovecot: DovecotServer, store: SqliteStore
) -> None:
    first, second = replica(store, dovecot, "replica-a"), replica(store, dovecot, "replica-b")
    running_first = asyncio.create_task(first.run())
    await eventually(lambda: in_state(first, "idle"))
    running_second = asyncio.create_task(second.run())
    await eventually(lambda: in_state(second, "standby"))
    await deliver(dovecot, mail(1), mail(2))
    await eventually(lambda: count_is(store, 2))

    async def first_read_both() -> bool:  # the reader's thread notes the UID once the accept has returned to it
        return bool(first.status()["last_uid"] == 2)

    await eventually(first_read_both)
    assert second.status()["last_uid"] is None  # read by the holder only

    running_first.cancel()
    await asyncio.gather(running_first, return_exceptions=True)
    async with store.transaction() as tx:  # a killed process gives nothing back: its last renewal stands
        now = datetime.now(UTC)
        assert await tx.take_lease("imap:soporte", "replica-a", now, now + timedelta(seconds=TTL))
    await deliver(dovecot, mail(3))
    took = await eventually(lambda: in_state(second, "idle"), timeout=TTL + 5)
    await eventually(lambda: count_is(store, 3))
    await eventually(lambda: saved_state_is(store, 3))
    assert TTL - 0.5 <= took <= TTL + 4  # after the lease ran out, not before
    assert second.status()["last_uid"] == 3  # resumed from UID 2: 1 and 2 were not read again

    third = replica(store, dovecot, "replica-c")
    running_third = asyncio.create_task(third.run())
    await eventually(lambda: in_state(third, "standby"))
    second.stop()  # a clean stop gives the lease back at once
    await asyncio.wait_for(running_second, timeout=5)
    await eventually(lambda: in_state(third, "idle"), timeout=5)
    third.stop()
    await asyncio.wait_for(running_third, timeout=5)
    assert await count_is(store, 3)
