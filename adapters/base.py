"""What every channel adapter shares: the `Sender` protocol and the two ways a delivery can fail.

Senders never retry themselves: the outbox worker owns retries, backoff, `Retry-After` and dead letters.
"""

from __future__ import annotations

from typing import Protocol

from ticketing.types import OutboundReply


class TemporaryFailure(Exception):
    """Try again later (after `retry_after` seconds when the peer said so)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """Retrying cannot help (unknown recipient, rejected content): the reply goes straight to `dead`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Sender(Protocol):
    async def send(self, reply: OutboundReply) -> str | None:
        """Deliver one reply, or raise TemporaryFailure / PermanentFailure. Returns the channel's id for the sent
        message when it has one (Twilio's MessageSid), so later delivery reports can be matched to it."""
        ...
