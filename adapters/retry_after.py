"""The `Retry-After` a peer sends with a 429 or a 5xx, in seconds: senders hand it to the outbox's retries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """delta-seconds, or an HTTP date when `now` is given (RFC 9110); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():  # delta-seconds is a non-negative integer
        return float(value)
    if now is None:
        return None
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None


def retry_after_header(headers: Mapping[str, object], now: datetime | None = None) -> float | None:
    """The Retry-After of a response's headers, whatever the case of its name (a list value: its first item)."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            text = value[0] if isinstance(value, list) and value else value
            return retry_after_seconds(str(text), now)
    return None
