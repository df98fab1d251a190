"""The `Store` protocol every storage backend implements, and what the SQL backends share.

A store offers two things: `accept()`, the durable, deduplicated intake of raw messages (group-committed,
so many concurrent accepts share one transaction), and `transaction()`, one unit of work over tickets,
messages, events and the outbox that commits or rolls back as a whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from ticketing.intake import AcceptRequest, AcceptResult
from ticketing.store.group_commit import GroupCommitter
from ticketing.store.sql import StoreTransaction


class StoreError(Exception):
    """The store could not do what was asked (connection lost, disk full, ...): the caller retries later."""


class Store(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def accept(self, request: AcceptRequest) -> AcceptResult:
        """Commit one raw message to the inbox, or find it already there. Returns only after the commit."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[StoreTransaction]:
        """One unit of work: everything done through the yielded object commits together or not at all."""
        ...


class GroupCommitStore:
    """What every SQL backend shares: group-committed `accept()`, on top of its `transaction()`."""

    def __init__(self) -> None:
        self._accepts: GroupCommitter[AcceptRequest, AcceptResult] = GroupCommitter(self._accept_batch)

    def transaction(self) -> AbstractAsyncContextManager[StoreTransaction]:
        raise NotImplementedError

    def _intake_transaction(self) -> AbstractAsyncContextManager[StoreTransaction]:
        """The transaction intake's batches run in (a store may let them go first)."""
        return self.transaction()

    async def accept(self, request: AcceptRequest) -> AcceptResult:
        return await self._accepts.submit(request)

    async def _accept_batch(self, batch: Sequence[AcceptRequest]) -> list[AcceptResult]:
        try:
            async with self._intake_transaction() as tx:
                return await tx.insert_inbox_batch(batch)
        except StoreError:
            raise
        except Exception as error:  # a driver error: the callers answer "try again later"
            raise StoreError(f"accept failed: {error}") from error
