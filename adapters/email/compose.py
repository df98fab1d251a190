"""Turns an `OutboundReply` into the email the client receives: tagged subject, threading headers, loop guards."""

from __future__ import annotations

import email.policy
import email.utils
import re
from datetime import datetime
from email.message import EmailMessage
from email.policy import EmailPolicy

from ticketing.replies import is_message_key
from ticketing.types import OutboundReply

AUTOMATIC_KINDS = frozenset({"acknowledgement", "not_covered"})
TICKET_HEADER = "X-Gateway-Ticket"
# Line breaks and other control characters (C0, DEL, C1, Unicode line and paragraph separators): a client's subject
# typed with a line break (a crafted web form) must not end the header or start another ("\r\nBcc: …").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def header_text(value: str) -> str:
    """`value` on one line, fit for a header: control characters become one space each run."""
    return " ".join(_CONTROL.sub(" ", value).split())


def _bracketed(message_id: str, domain: str) -> str | None:
    """`<id>` for a real Message-ID, `<gw-…@domain>` for one of our message keys; None for ids we synthesised
    (a client's mail without a Message-ID) or that are another channel's."""
    if is_message_key(message_id):
        return f"<{message_id}@{domain}>"
    if not message_id or message_id.startswith("sha256:") or "@" not in message_id:
        return None
    return f"<{message_id}>"


def compose_reply(
    reply: OutboundReply,
    from_address: str,
    domain: str,
    now: datetime,
    transfer_encoding: str = "quoted-printable",
    policy: EmailPolicy[EmailMessage] = email.policy.default,
) -> EmailMessage:
    """The email for one reply; `transfer_encoding` "8bit" keeps local copies readable as plain files."""
    message = EmailMessage(policy=policy)
    message["From"] = from_address
    message["To"] = header_text(reply.recipient)
    if reply.cc:
        message["Cc"] = ", ".join(header_text(address) for address in reply.cc)
    message["Subject"] = header_text(reply.subject)
    message["Date"] = email.utils.format_datetime(now)
    message["Message-ID"] = f"<{reply.message_key}@{domain}>"
    in_reply_to = _bracketed(reply.thread_key, domain)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    references = list(dict.fromkeys(ref for ref in (_bracketed(r, domain) for r in reply.references) if ref))
    if references:
        message["References"] = " ".join(references)
    if reply.kind in AUTOMATIC_KINDS:
        message["Auto-Submitted"] = "auto-replied"  # RFC 3834: robots must not answer this
        message["X-Auto-Response-Suppress"] = "All"
    message[TICKET_HEADER] = header_text(reply.ticket_number)
    message.set_content(reply.text, cte=transfer_encoding)
    return message
