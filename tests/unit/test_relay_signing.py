"""The relay signature: a known vector, rotation, the time window and every way a request can be wrong."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from adapters.relay.signing import sign, signature_headers, signed_headers, verify

NOW = 1_700_000_000
BODY = b'{"id":"m-1"}'
# python -c "import hmac,hashlib; print('v1='+hmac.new(b'shh', b'm-1.1700000000.'+b'{\"id\":\"m-1\"}', hashlib.sha256).hexdigest())"
KNOWN = "v1=23ec60ea5d16a7517e37cbeb910db84f1df9870c0792afab775cf9d9ad36905a"
STANDARD = "v1,I+xg6l0Wp1F+N8vrkQ24Tx35hwwHkq+rd1z52a02kFo="  # the same digest in base64 (Standard Webhooks)


def test_known_vector() -> None:
    assert sign("shh", "m-1", NOW, BODY) == KNOWN


def test_signed_headers_carry_id_timestamp_and_signature_in_both_spellings() -> None:
    assert signed_headers("shh", "m-1", NOW, BODY) == {
        "X-Relay-Id": "m-1",
        "X-Relay-Timestamp": str(NOW),
        "X-Relay-Signature": KNOWN,
        "webhook-id": "m-1",
        "webhook-timestamp": str(NOW),
        "webhook-signature": STANDARD,
    }


def test_the_standard_webhooks_sdk_checks_what_we_sign_and_we_check_what_it_signs() -> None:
    now = int(time.time())
    sdk = Webhook(b"shh")
    headers = signed_headers("shh", "m-1", now, BODY)
    assert sdk.verify(BODY, headers, json_parse=False) is None  # raises when it does not verify
    theirs = sdk.sign("m-2", datetime.fromtimestamp(now, UTC), BODY.decode())
    assert verify(["shh"], "m-2", str(now), BODY, theirs, now) is None
    assert verify(["shh"], "m-2", str(now), BODY, f"v1,bm90aGluZw== {theirs}", now) is None  # a list: one matches
    assert verify(["other"], "m-2", str(now), BODY, theirs, now) == "bad signature"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {"Webhook-Id": "m-1", "Webhook-Timestamp": "1", "Webhook-Signature": "v1,x"},
            ("m-1", "1", "v1,x", "webhook-id"),
        ),
        (
            {"X-Relay-Id": "m-1", "X-Relay-Timestamp": "1", "X-Relay-Signature": "v1=x"},
            ("m-1", "1", "v1=x", "X-Relay-Id"),
        ),
        ({}, ("", "", "", "X-Relay-Id")),
    ],
)
def test_either_spelling_of_the_headers_is_read(headers: dict[str, str], expected: tuple[str, ...]) -> None:
    assert signature_headers(headers) == expected


@pytest.mark.parametrize(
    ("secrets", "message_id", "timestamp", "body", "signature", "now", "expected"),
    [
        (["shh"], "m-1", str(NOW), BODY, KNOWN, NOW, None),
        (["new", "shh"], "m-1", str(NOW), BODY, KNOWN, NOW, None),  # previous secret during a rotation
        (["other"], "m-1", str(NOW), BODY, KNOWN, NOW, "bad signature"),
        ([], "m-1", str(NOW), BODY, KNOWN, NOW, "bad signature"),
        (["shh"], "m-1", str(NOW), BODY + b" ", KNOWN, NOW, "bad signature"),  # tampered body
        (["shh"], "m-2", str(NOW), BODY, KNOWN, NOW, "bad signature"),  # another id
        (["shh"], "m-1", str(NOW), BODY, KNOWN.upper(), NOW, "bad signature"),
        (["shh"], "m-1", str(NOW), BODY, KNOWN.removeprefix("v1="), NOW, "bad signature"),
        (["shh"], "m-1", str(NOW), BODY, "v1=ñ", NOW, "bad signature"),
        (["shh"], "m-1", str(NOW), BODY, KNOWN, NOW + 300, None),  # edge of the window
        (["shh"], "m-1", str(NOW), BODY, KNOWN, NOW + 301, "stale timestamp"),
        (["shh"], "m-1", str(NOW), BODY, KNOWN, NOW - 301, "stale timestamp"),  # from the future
        (["shh"], "m-1", "17e8", BODY, KNOWN, NOW, "bad timestamp"),
        (["shh"], "m-1", "-1", BODY, KNOWN, NOW, "bad timestamp"),
        (["shh"], "", str(NOW), BODY, KNOWN, NOW, "missing header"),
        (["shh"], "m-1", "", BODY, KNOWN, NOW, "missing header"),
        (["shh"], "m-1", str(NOW), BODY, "", NOW, "missing header"),
    ],
    ids=[
        "good",
        "previous secret",
        "wrong secret",
        "no secrets",
        "tampered body",
        "other id",
        "uppercase",
        "no version",
        "non-ascii",
        "window edge",
        "stale",
        "future",
        "not a number",
        "negative",
        "no id",
        "no timestamp",
        "no signature",
    ],
)
def test_verify(
    secrets: list[str],
    message_id: str,
    timestamp: str,
    body: bytes,
    signature: str,
    now: float,
    expected: str | None,
) -> None:
    assert verify(secrets, message_id, timestamp, body, signature, now) == expected


def test_custom_window() -> None:
    assert verify(["shh"], "m-1", str(NOW), BODY, KNOWN, NOW + 61, window=60) == "stale timestamp"
