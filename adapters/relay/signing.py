"""Signing and verifying relay messages, in both directions: the Standard Webhooks scheme.

The signed content is `"{id}.{timestamp}." + body`, HMAC-SHA256 with the relay's shared secret (its UTF-8 bytes).
Two spellings of it are accepted, and both are sent:

- Standard Webhooks (standardwebhooks.com): `webhook-id`, `webhook-timestamp` and `webhook-signature:
  v1,<base64>` (several signatures may be listed, separated by spaces). The signature is made by the
  `standardwebhooks` package itself, so a bridge can sign and check with that project's SDKs in any language.
- the relay's first spelling: `X-Relay-Id`, `X-Relay-Timestamp` and `X-Relay-Signature: v1=<hex>`.

Verification accepts any of the relay's secrets (the current one and, during a rotation, the previous one),
compares in constant time and refuses timestamps more than `window` seconds away from now in either direction, so
a captured request cannot be replayed later (a replay inside the window is caught by the store's deduplication of
the message id).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

ID_HEADER = "X-Relay-Id"
TIMESTAMP_HEADER = "X-Relay-Timestamp"
SIGNATURE_HEADER = "X-Relay-Signature"
STANDARD_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
VERSION = "v1="
DEFAULT_WINDOW = 300.0


def _content(message_id: str, timestamp: str, body: bytes) -> bytes:
    return f"{message_id}.{timestamp}.".encode() + body


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `X-Relay-Signature` value for one message: `v1=` and the hex digest."""
    digest = hmac.new(secret.encode(), _content(message_id, str(timestamp), body), hashlib.sha256).hexdigest()
    return VERSION + digest


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value for one message (`v1,` and the base64 digest), made by standardwebhooks."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return Webhook(secret.encode()).sign(msg_id=message_id, timestamp=moment, data=body.decode("utf-8"))


def signed_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one message, in both spellings."""
    standard_id, standard_timestamp, standard_signature_header = STANDARD_HEADERS
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, message_id, timestamp, body),
        standard_id: message_id,
        standard_timestamp: str(timestamp),
        standard_signature_header: standard_signature(secret, message_id, timestamp, body),
    }


def signature_headers(headers: Mapping[str, str]) -> tuple[str, str, str, str]:
    """(id, timestamp, signature, the id header's name) from a request's headers: the Standard Webhooks spelling
    when it is there, else the relay's first one."""
    lowered = {name.lower(): value for name, value in headers.items()}
    names = STANDARD_HEADERS if STANDARD_HEADERS[0] in lowered else (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)
    message_id, timestamp, signature = (lowered.get(name.lower(), "").strip() for name in names)
    return message_id, timestamp, signature, names[0]


def _matches(secret: str, content: bytes, signature: str) -> bool:
    """Whether `signature` (either spelling; Standard Webhooks may list several) was made with `secret`."""
    digest = hmac.new(secret.encode(), content, hashlib.sha256).digest()
    found = False
    for candidate in signature.split():
        if candidate.startswith(VERSION):
            expected = (VERSION + digest.hex()).encode()
        elif candidate.startswith("v1,"):
            expected = b"v1," + base64.b64encode(digest)
        else:
            continue
        found = hmac.compare_digest(expected, candidate.encode("utf-8", "replace")) or found
    return found


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
    content = _content(message_id, timestamp, body)
    valid = False
    for secret in secrets:  # every secret is tried, so timing does not tell which one matched
        valid = _matches(secret, content, signature) or valid
    return None if valid else "bad signature"
