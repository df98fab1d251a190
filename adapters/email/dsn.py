"""Delivery status notifications (RFC 3464 bounces): which recipients failed, why, and which message bounced.

The returned message's Message-ID ties a bounce to the ticket whose reply bounced (our outgoing ids are
`<gw-…@domain>`). Standard reports carry it in a `message/rfc822` or `text/rfc822-headers` part; older MTAs paste
the original headers into the text, so a `Message-ID:` line in any text part counts too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

_MESSAGE_ID_LINE = re.compile(r"^\s*Message-ID:\s*<([^<>\s]+)>", re.IGNORECASE | re.MULTILINE)
_ADDRESS = re.compile(r"[^\s<>;,\"]+@[^\s<>;,\"]+")
MAX_DIAGNOSTIC = 300


@dataclass(frozen=True)
class DeliveryReport:
    failed: tuple[str, ...]  # recipients whose delivery failed for good (Action: failed)
    delayed: tuple[str, ...]  # still being retried by the reporting server (Action: delayed)
    status: str  # the first failure's status code, e.g. "5.1.1"
    diagnostic: str  # the first failure's diagnostic, e.g. "smtp; 550 5.1.1 user unknown"
    original_ids: tuple[str, ...]  # Message-IDs of the message that bounced


def _recipient(value: str) -> str:
    found = _ADDRESS.search(value.split(";", 1)[-1])
    return found.group(0).lower() if found else ""


def _status_blocks(message: Message) -> list[Message]:
    blocks: list[Message] = []
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            if isinstance(payload, list):
                blocks += [block for block in payload if isinstance(block, Message)]
    return blocks


def _original_ids(message: Message) -> list[str]:
    ids: list[str] = []
    for part in message.walk():
        kind = part.get_content_type()
        payload = part.get_payload()
        if kind == "message/rfc822" and isinstance(payload, list):
            ids += [
                str(inner.get("Message-ID", "")).strip().strip("<>") for inner in payload if isinstance(inner, Message)
            ]
        elif kind in ("text/rfc822-headers", "text/plain") and isinstance(payload, str) and part is not message:
            ids += _MESSAGE_ID_LINE.findall(_text(part))
    unique: list[str] = []
    for found in ids:
        if found and found not in unique:
            unique.append(found)
    return unique


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
    """The report a bounce carries, or None when `message` is not a delivery report."""
    is_report = message.get_content_type() == "multipart/report"
    failed_header = str(message.get("X-Failed-Recipients", "") or "")
    if not is_report and not failed_header:
        return None
    failed: list[str] = [address.lower() for address in _ADDRESS.findall(failed_header)]
    delayed: list[str] = []
    status = diagnostic = ""
    for block in _status_blocks(message):
        recipient = _recipient(str(block.get("Final-Recipient") or block.get("Original-Recipient") or ""))
        action = str(block.get("Action", "")).strip().lower()
        if not recipient or action not in ("failed", "delayed"):
            continue
        target = failed if action == "failed" else delayed
        if recipient not in target:
            target.append(recipient)
        if action == "failed" and not status:
            status = str(block.get("Status", "")).strip()
            diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())[:MAX_DIAGNOSTIC]
    return DeliveryReport(tuple(failed), tuple(delayed), status, diagnostic, tuple(_original_ids(message)))
