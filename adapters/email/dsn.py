"""Bounces: which recipients failed, why, and which of our messages bounced.

Who failed is read by flufl.bounce (GNU Mailman's detectors: RFC 3464 delivery status notifications first, then
the formats of Exim, Postfix, qmail, Exchange and others that do not follow it), run only on mail that looks like a
bounce (a `multipart/report`, an `X-Failed-Recipients` header, or a message from the mailer daemon or with an
empty return path). Its permanent failures are `failed`, its temporary ones `delayed`.

The returned message's Message-ID ties a bounce to the ticket whose reply bounced (our outgoing ids are
`<gw-…@domain>`). Standard reports carry it in a `message/rfc822` or `text/rfc822-headers` part; older MTAs paste
the original headers into the text, so a `Message-ID:` line in any text part counts too. The first failure's status
and diagnostic come from the report's own fields when it has them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email.message import Message
from email.utils import parseaddr

from flufl.bounce import all_failures

# flufl.bounce logs a traceback for each of its detectors that a malformed bounce trips up; the detectors that can
# read it still answer. Those tracebacks say nothing about the gateway, and a crafted mail could write them by the
# thousand (the reading processes have no logging set up, so they would reach stderr): switched off where read.
logging.getLogger("flufl.bounce").disabled = True

_MESSAGE_ID_LINE = re.compile(r"^\s*Message-ID:\s*<([^<>\s]+)>", re.IGNORECASE | re.MULTILINE)
DAEMONS = ("mailer-daemon", "postmaster")
MAX_DIAGNOSTIC = 300


@dataclass(frozen=True)
class DeliveryReport:
    failed: tuple[str, ...]  # recipients whose delivery failed for good
    delayed: tuple[str, ...]  # still being retried by the reporting server
    status: str  # the first failure's status code, e.g. "5.1.1"
    diagnostic: str  # the first failure's diagnostic, e.g. "smtp; 550 5.1.1 user unknown"
    original_ids: tuple[str, ...]  # Message-IDs of the message that bounced


def looks_like_a_bounce(message: Message) -> bool:
    sender = parseaddr(str(message.get("From", "")))[1].lower().split("@")[0]
    return (
        message.get_content_type() == "multipart/report"
        or bool(message.get("X-Failed-Recipients"))
        or sender in DAEMONS
        or str(message.get("Return-Path", "")).strip() == "<>"
    )


def _addresses(found: frozenset[bytes]) -> tuple[str, ...]:
    return tuple(sorted({address.decode("ascii", "replace").lower() for address in found if b"@" in address}))


def _first_failure(message: Message) -> tuple[str, str]:
    """(status, diagnostic) of the report's first failed recipient, when it is an RFC 3464 report."""
    for part in message.walk():
        payload = part.get_payload() if part.get_content_type() == "message/delivery-status" else None
        for block in payload if isinstance(payload, list) else []:
            if isinstance(block, Message) and str(block.get("Action", "")).strip().lower() == "failed":
                diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())[:MAX_DIAGNOSTIC]
                return str(block.get("Status", "")).strip(), diagnostic
    return "", ""


def _original_ids(message: Message) -> list[str]:
    ids: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        payload = part.get_payload()
        if kind == "message/rfc822" and isinstance(payload, list):
            ids += [
                str(inner.get("Message-ID", "")).strip().strip("<>") for inner in payload if isinstance(inner, Message)
            ]
        elif kind in ("text/rfc822-headers", "text/plain") and isinstance(payload, str):  # qmail: the body itself
            ids += _MESSAGE_ID_LINE.findall(_text(part))
    return list(dict.fromkeys(found for found in ids if found))


def _text(part: Message) -> str:
    try:
        content = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: the raw text may still hold the header we look for
        content = None
    if isinstance(content, bytes):
        return content.decode("utf-8", "replace")
    payload = part.get_payload()
    return payload if isinstance(payload, str) else ""


def read_delivery_report(message: Message) -> DeliveryReport | None:
    """The report a bounce carries, or None when `message` is not a bounce."""
    if not looks_like_a_bounce(message):
        return None
    try:
        delayed, failed = all_failures(message)
    except Exception:  # a detector choking on a malformed bounce: it is still a bounce, of unknown recipients
        delayed, failed = frozenset(), frozenset()
    if not (failed or delayed) and message.get_content_type() != "multipart/report":
        return None
    status, diagnostic = _first_failure(message)
    return DeliveryReport(_addresses(failed), _addresses(delayed), status, diagnostic, tuple(_original_ids(message)))
