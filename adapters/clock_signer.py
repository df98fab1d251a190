"""itsdangerous' timestamp signer telling the time by the gateway's clock (its documented `get_timestamp` hook), so
tokens that expire (CSRF tokens, agents' download links) follow the same clock as everything else, tests included."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime

from itsdangerous import TimestampSigner


def clock_signer(clock: Callable[[], datetime]) -> type[TimestampSigner]:
    """A `TimestampSigner` class (HMAC-SHA256 by default) whose time is `clock()`; usable as a serializer's
    `signer=`."""

    class ClockSigner(TimestampSigner):
        default_digest_method = staticmethod(hashlib.sha256)

        def get_timestamp(self) -> int:
            return int(clock().timestamp())

    return ClockSigner
