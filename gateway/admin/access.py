"""Who may use the admin pages: one admin user, whose password comes from the environment (`[admin]`).

- Signing in checks the user and password in constant time. Failed attempts are counted per visitor's address in
  the store (`StoreRateLimiter`), so every replica counts the same ones: 10 in 15 minutes, then 429 until the
  window ends.
- A session is a cookie signed with itsdangerous, for `session_hours`. Its key is derived from the password with
  scrypt, which has three effects:
  - replicas with the same password accept each other's sessions;
  - changing the password (and restarting) ends every session;
  - a stolen cookie does not help anyone guess the password.
  The cookie is `HttpOnly`, `SameSite=Strict`, limited to `/admin`, and `Secure` behind TLS.
- Every POST carries a CSRF token (`adapters.web.security.CsrfTokens`, with a salt of its own).

Signing out removes the cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

from adapters.clock_signer import clock_signer
from adapters.rate_limit import Limiter
from adapters.web.security import CsrfTokens

SESSION_COOKIE = "gateway_admin"
CSRF_COOKIE = "gateway_admin_csrf"
SESSION_SALT = "gateway-admin-session"
CSRF_SALT = "gateway-admin-csrf"
_KEY_SALT = b"gateway-admin-key"


def derived_key(password: str) -> str:
    """The signing key for sessions and CSRF tokens: scrypt of the password (about 50 ms, once at start)."""
    return hashlib.scrypt(password.encode(), salt=_KEY_SALT, n=2**14, r=8, p=1, dklen=32).hex()


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "replace")).digest()


class Blocked(Exception):
    """Too many failed sign-ins from this address in the current window."""


class AdminAccess:
    """Signs the admin in and out, and tells whose session a cookie is."""

    def __init__(
        self,
        user: str,
        password: str,
        clock: Callable[[], datetime],
        session_hours: float,
        failed_logins: Limiter,
    ) -> None:
        if not password:
            raise ValueError("the admin pages need a password")
        key = derived_key(password)
        self.user = user
        self._password = _digest(password)
        self._sessions = URLSafeTimedSerializer(key, salt=SESSION_SALT, signer=clock_signer(clock))
        self.session_seconds = int(timedelta(hours=session_hours).total_seconds())
        self.csrf = CsrfTokens(key, clock, salt=CSRF_SALT)
        self._failed = failed_logins

    async def sign_in(self, user: str, password: str, address: str) -> str | None:
        """A session cookie's value when the user and password are right; None when they are wrong (the attempt is
        counted). `Blocked` when this address failed too often lately, whatever it typed."""
        if await self._failed.blocked(address):
            raise Blocked(address)
        right_user = secrets.compare_digest(_digest(user.strip()), _digest(self.user))
        right_password = secrets.compare_digest(_digest(password), self._password)
        if not (right_user and right_password):
            await self._failed.allow(address)
            return None
        return self._sessions.dumps({"user": self.user, "nonce": secrets.token_urlsafe(8)})

    def session_user(self, cookie: str | None) -> str | None:
        """The admin a session cookie belongs to, or None when it is missing, forged or expired."""
        if not cookie:
            return None
        try:
            data = self._sessions.loads(cookie, max_age=self.session_seconds)
        except (BadSignature, UnicodeError):  # SignatureExpired is a BadSignature
            return None
        user = data.get("user") if isinstance(data, dict) else None
        return user if user == self.user else None
