"""Protection for the gateway's pages (the help desk, and the admin pages): CSRF tokens (double submit,
itsdangerous) and the visitor's address behind our reverse proxies.

A token is a random nonce signed with its time by itsdangerous (`TimestampSigner`, HMAC-SHA256, a salt of its own:
the admin pages use another). The page puts it in a hidden field and in a `SameSite=Strict` cookie; a POST is
accepted only when both are present, equal, correctly signed and at most `max_age` old (two hours). A still-fresh
token is reused for the next form, so a visitor with two tabs open is not refused.

Rate limits are `adapters.rate_limit.RateLimiter`s, one per purpose.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from aiohttp import web
from itsdangerous import BadSignature

from adapters.clock_signer import clock_signer

COOKIE_NAME = "soporte_csrf"
FIELD_NAME = "csrf_token"
DEFAULT_MAX_AGE = timedelta(hours=2)
REUSE_MARGIN = timedelta(minutes=30)  # a token with less life left than this is replaced by a new one
SALT = "soporte-csrf"  # a signature made for anything else with the same secret is no token


class CsrfTokens:
    """Issues and checks the double-submit tokens of one secret."""

    def __init__(
        self, secret: str, clock: Callable[[], datetime], max_age: timedelta = DEFAULT_MAX_AGE, salt: str = SALT
    ) -> None:
        if not secret:
            raise ValueError("the CSRF secret must not be empty")
        self._signer = clock_signer(clock)(secret, salt=salt)
        self._clock = clock
        self._max_age = int(max_age.total_seconds())

    def issue(self) -> str:
        """A new token: a random nonce signed with the time now."""
        return self._signer.sign(secrets.token_urlsafe(18)).decode()

    def age(self, token: str) -> float | None:
        """Seconds since the token was issued, or None when it is malformed, forged, expired or from the future."""
        try:
            _nonce, issued = self._signer.unsign(token, max_age=self._max_age, return_timestamp=True)
        except (BadSignature, UnicodeError):  # SignatureExpired is a BadSignature
            return None
        return self._clock().timestamp() - issued.timestamp()

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
        if not secrets.compare_digest(submitted.encode("utf-8", "replace"), cookie.encode("utf-8", "replace")):
            return False
        return self.age(submitted) is not None


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


def came_over_tls(request: web.Request, trusted_proxies: frozenset[str]) -> bool:
    """Whether the visitor reached us over HTTPS: on this connection, or at one of our reverse proxies, which says
    so in X-Forwarded-Proto (cookies are then marked `Secure`)."""
    if request.secure:
        return True
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return (request.remote or "") in trusted_proxies and forwarded == "https"
