"""Protection for the public help-desk pages: CSRF tokens (double submit) and a sliding-window rate limiter.

A token is `nonce.timestamp.signature`, the signature being HMAC-SHA256(secret, "nonce.timestamp"). The page puts
it in a hidden field and in a `SameSite=Strict` cookie; a POST is accepted only when both are present, equal,
correctly signed and at most `max_age` old (two hours). A still-fresh token is reused for the next form, so a
visitor with two tabs open is not refused.

`RateLimiter` counts events per key (a client address, a contact) in memory, per instance: the gateway builds one
per purpose and passes it in. Memory is bounded: idle keys are dropped, and past `max_keys` the oldest go first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from aiohttp import web

COOKIE_NAME = "soporte_csrf"
FIELD_NAME = "csrf_token"
DEFAULT_MAX_AGE = timedelta(hours=2)
REUSE_MARGIN = timedelta(minutes=30)  # a token with less life left than this is replaced by a new one
CLOCK_SKEW = 60  # seconds a token's timestamp may be ahead of now


class CsrfTokens:
    """Issues and checks the double-submit tokens of one secret."""

    def __init__(self, secret: str, clock: Callable[[], datetime], max_age: timedelta = DEFAULT_MAX_AGE) -> None:
        if not secret:
            raise ValueError("the CSRF secret must not be empty")
        self._key = secret.encode()
        self._clock = clock
        self._max_age = max_age.total_seconds()

    def _signature(self, nonce: str, timestamp: str) -> str:
        return hmac.new(self._key, f"{nonce}.{timestamp}".encode(), hashlib.sha256).hexdigest()

    def issue(self) -> str:
        """A new token: a random nonce, the time now, and their signature."""
        nonce = secrets.token_urlsafe(18)
        timestamp = str(int(self._clock().timestamp()))
        return f"{nonce}.{timestamp}.{self._signature(nonce, timestamp)}"

    def age(self, token: str) -> float | None:
        """Seconds since the token was issued, or None when it is malformed, forged, expired or from the future."""
        parts = token.split(".")
        if len(parts) != 3 or not parts[1].isascii() or not parts[1].isdigit():
            return None
        nonce, timestamp, signature = parts
        if not hmac.compare_digest(self._signature(nonce, timestamp).encode(), signature.encode("utf-8", "replace")):
            return None
        age = self._clock().timestamp() - int(timestamp)
        return age if -CLOCK_SKEW <= age <= self._max_age else None

    def for_form(self, cookie: str | None) -> str:
        """The token for the next form: the visitor's cookie token while it has life left, else a new one."""
        age = self.age(cookie) if cookie else None
        if cookie and age is not None and age <= self._max_age - REUSE_MARGIN.total_seconds():
            return cookie
        return self.issue()

    def check(self, submitted: str | None, cookie: str | None) -> bool:
        """True when the form's token and the cookie's are the same valid token."""
        if not submitted or not cookie:
            return False
        if not hmac.compare_digest(submitted.encode("utf-8", "replace"), cookie.encode("utf-8", "replace")):
            return False
        return self.age(submitted) is not None


class RateLimiter:
    """At most `limit` events per key in any `window` (a sliding window), in memory."""

    def __init__(self, limit: int, window: timedelta, clock: Callable[[], datetime], max_keys: int = 10_000) -> None:
        self._limit = limit
        self._window = window.total_seconds()
        self._clock = clock
        self._max_keys = max_keys
        self._events: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            return deque()
        while events and events[0] <= now - self._window:
            events.popleft()
        if not events:
            del self._events[key]
        return events

    def blocked(self, *keys: str) -> bool:
        """True when any key is at its limit already (nothing is counted)."""
        now = self._clock().timestamp()
        return any(len(self._recent(key, now)) >= self._limit for key in keys)

    def allow(self, *keys: str) -> bool:
        """Count one event for every key and answer True, unless one of them is at its limit (then count none)."""
        if self.blocked(*keys):
            return False
        now = self._clock().timestamp()
        for key in keys:
            if key not in self._events:
                self._make_room()
                self._events[key] = deque()
            self._events[key].append(now)
        return True

    def _make_room(self) -> None:
        if len(self._events) < self._max_keys:
            return
        now = self._clock().timestamp()
        for key in list(self._events):
            self._recent(key, now)
        while len(self._events) >= self._max_keys:  # still full: drop the keys seen longest ago
            oldest = min(self._events, key=lambda key: self._events[key][-1])
            del self._events[oldest]


def client_address(request: web.Request, trusted_proxies: frozenset[str]) -> str:
    """The visitor's address: the connection's, or — when it comes from one of our reverse proxies — the last
    address in X-Forwarded-For that is not one of them (what the proxy saw; earlier entries can be forged)."""
    remote = request.remote or "unknown"
    if remote not in trusted_proxies:
        return remote
    hops = [hop.strip() for hop in request.headers.get("X-Forwarded-For", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted_proxies:
            return hop
    return remote
