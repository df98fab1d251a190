"""Signing and verifying relay messages (both directions use the same scheme).

`signature = "v1=" + hex(HMAC-SHA256(secret, f"{message_id}.{timestamp}.".encode() + raw_body))`, sent with the
headers `X-Relay-Id`, `X-Relay-Timestamp` (Unix seconds) and `X-Relay-Signature`. Verification accepts any of the
relay's secrets (the current one and, during a rotation, the previous one), compares in constant time and refuses
timestamps more than `window` seconds away from now in either direction, so a captured request cannot be replayed
later (a replay inside the window is caught by the store's deduplication of the message id).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

ID_HEADER = "X-Relay-Id"
TIMESTAMP_HEADER = "X-Relay-Timestamp"
SIGNATURE_HEADER = "X-Relay-Signature"
VERSION = "v1="
DEFAULT_WINDOW = 300.0


def _digest(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return VERSION + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `X-Relay-Signature` value for one message."""
    return _digest(secret, message_id, str(timestamp), body)


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three relay headers for one message."""
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, message_id, timestamp, body),
    }


def verify(
    secrets: Sequence[str],
    message_id: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float,
    window: float = DEFAULT_WINDOW,
) -> str | None:
    """None when the signature is valid, else a one-line reason: "missing header", "bad timestamp",
    "stale timestamp" or "bad signature"."""
    if not message_id or not timestamp or not signature:
        return "missing header"
    if not (timestamp.isascii() and timestamp.isdigit()):
        return "bad timestamp"
    if abs(now - int(timestamp)) > window:
        return "stale timestamp"
    given = signature.strip().encode("utf-8", "replace")
    valid = False
    for secret in secrets:  # every secret is tried, so timing does not tell which one matched
        expected = _digest(secret, message_id, timestamp, body).encode()
        valid = hmac.compare_digest(expected, given) or valid
    return None if valid else "bad signature"
