"""What the pages show of a ticket, and the receipt's address: Post/Redirect/Get, so nothing is filed twice.

A submitted form answers `303 See Other` to `/soporte/recibo/<token>`; reloading that page, or going back to it,
only reads. The token is the ticket number and the page's language, signed and dated with itsdangerous:
unguessable, and good for a day (the client also gets the acknowledgement by email or WhatsApp).

A submission's key is its form session (the CSRF token, which the pages reuse while it is fresh) and everything it
says: the same request sent again — a double click, Back and send again — is the same submission, and the store's
deduplication gives back the first ticket.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from itsdangerous import BadSignature, URLSafeTimedSerializer

from adapters.web.form import SupportForm

RECEIPT_PATH = "/recibo/{token}"  # under MOUNT_PATH
RECEIPT_LIFE = timedelta(days=1)


@dataclass(frozen=True)
class Receipt:
    """What the confirmation page shows: the ticket and its deadlines, already worded for the visitor."""

    number: str
    priority_label: str
    response_due: str
    resolution_due: str


@dataclass(frozen=True)
class StatusView:
    """What the status page shows of one ticket: public facts and the public conversation (when, who, text)."""

    number: str
    subject: str
    status_label: str
    priority_label: str
    response_due: str
    resolution_due: str
    messages: list[tuple[str, str, str]] = field(default_factory=list)


class WebDesk(Protocol):
    """What the pages ask of the desk behind them."""

    async def submit(self, form: SupportForm, raw: bytes, key: str) -> str:
        """Commit one submission (`key`: the same key twice is one submission) and return its ticket's number."""
        ...

    async def receipt(self, number: str, language: str) -> Receipt | None: ...

    async def lookup(self, number: str, contact: str) -> StatusView | None: ...


def submission_key(form_session: str, raw: bytes) -> str:
    """The same request from the same form session is one submission."""
    return hashlib.sha256(form_session.encode() + b"\n" + raw).hexdigest()


class ReceiptTokens:
    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="soporte-receipt")

    def issue(self, number: str, language: str) -> str:
        return self._serializer.dumps([number, language])

    def read(self, token: str) -> tuple[str, str] | None:
        """(ticket number, language), or None when the token is forged, malformed or older than a day."""
        try:
            number, language = self._serializer.loads(token, max_age=int(RECEIPT_LIFE.total_seconds()))
        except (BadSignature, ValueError, TypeError):
            return None
        return str(number), str(language)
