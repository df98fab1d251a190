"""The relay signature: a known vector, rotation, the time window and every way a request can be wrong."""

from __future__ import annotations

import pytest

from adapters.relay.signing import sign, signed_headers, verify

NOW = 1_700_000_000
BODY = b'{"id":"m-1"}'
# python -c "import hmac,hashlib; print('v1='+hmac.new(b'shh', b'm-1.1700000000.'+b'{\"id\":\"m-1\"}', hashlib.sha256).hexdigest())"
KNOWN = "v1=23ec60ea5d16a7517e37cbeb910db84f1df9870c0792afab775cf9d9ad36905a"


def test_known_vector() -> None:
    assert sign("shh", "m-1", NOW, BODY) == KNOWN


def test_signed_headers_carry_id_timestamp_and_signature() -> None:
    assert signed_headers("shh", "m-1", NOW, BODY) == {
        "X-Relay-Id": "m-1",
        "X-Relay-Timestamp": str(NOW),
        "X-Relay-Signature": KNOWN,
    }


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
