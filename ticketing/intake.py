"""Durable intake: what a channel hands over to be committed (`AcceptRequest`), and what it gets back.

A channel acknowledges a message to its peer (SMTP 250, webhook 200, IMAP \\Seen) only after `Accept` has
returned: the raw bytes are committed and deduplicated on (channel, native id) by then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AcceptRequest:
    channel: str
    native_id: str
    raw: bytes
    meta: dict[str, Any]
    received_at: datetime


@dataclass(frozen=True)
class AcceptResult:
    inbox_id: int
    duplicate: bool


# Commit one raw message to the inbox (or find it there already); returns only after the commit.
Accept = Callable[[AcceptRequest], Awaitable[AcceptResult]]
