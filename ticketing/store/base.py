"""The `Store` protocol every storage backend implements, and the small values it returns.

A store offers two things: `accept()`, the durable, deduplicated intake of raw messages (group-committed,
so many concurrent accepts share one transaction), and `transaction()`, one unit of work over tickets,
messages, events and the outbox that commits or rolls back as a whole.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ticketing.store.sql import StoreTransaction


class StoreError(Exception):
    """The store could not do what was asked (connection lost, disk full, ...): the caller retries later."""


@dataclass(frozen=True)
class AcceptResult:
    inbox_id: int
    duplicate: bool


@dataclass(frozen=True)
class AcceptRequest:
    channel: str
    native_id: str
    raw: bytes
    meta: dict[str, Any]
    received_at: datetime


class Store(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def accept(self, request: AcceptRequest) -> AcceptResult:
        """Commit one raw message to the inbox, or find it already there. Returns only after the commit."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[StoreTransaction]:
        """One unit of work: everything done through the yielded object commits together or not at all."""
        ...

    async def ping(self) -> bool: ...

