"""Raw RFC 5322 mail (bytes, as received over SMTP or IMAP) to the core's `InboundMessage`.

Mail in the wild is often malformed: header defects, unknown charsets, bad RFC 2047 words, missing Date or From.
Every field here has a fallback, so anything the standard library can parse at all becomes a message; only a
hopeless input raises `MailParseError`, and the caller quarantines it with its raw bytes. The Date header is not
trusted: `received_at` is the gateway's receipt time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import datetime
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses

from adapters.email import CHANNEL
from adapters.email.authentication import sender_trust
from adapters.email.bounded import BOUNDED_HEADERS, MAX_HEADER_CHARS, TooComplex, parse_bounded
from adapters.email.dsn import read_delivery_report
from adapters.email.mime_parts import clean_text, collect, decode_words
from ticketing.types import AttachmentRef, InboundMessage

SELECTED_HEADERS = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "return-path",
    "content-type",
    "from",
    "to",
    "cc",
    "date",
    "x-failed-recipients",
    "message-id",
    "x-gateway-ticket",
)
_ADDRESS_LISTS = frozenset({"to", "cc"})
_SENDER_HEADERS = ("from", "reply-to", "sender", "return-path")
_CONTENT_KEY_HEADERS = ("from", "date", "subject", "content-type")
_HEADER_SCAN_BYTES = 256 * 1024
MAX_HEADER_REPEATS = 20  # a header given more often than this (24,000 "To:" lines) is read this many times
MAX_THREAD_IDS = 100  # In-Reply-To first, then the newest References (the thread's last messages are at its end)
_MSG_ID = re.compile(r"<([^<>\s]+)>")
_GATEWAY_ID = re.compile(r"^(gw-[0-9a-fA-F]{32})@[^@\s]+$")
_VALID_ADDRESS = re.compile(r"^[^@\s<>\"(),;]+@[^@\s<>\"(),;]+$")
_WHITESPACE = re.compile(r"\s+")
_SURROGATES = re.compile("[\udc80-\udcff]")


class MailParseError(Exception):
    """The message cannot be read as mail at all; `reason` says why (no message content in it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_email(
    raw: bytes,
    *,
    received_at: datetime,
    recipient: str,
    max_attachment_bytes: int = 10_000_000,
    authserv_ids: frozenset[str] = frozenset(),
) -> InboundMessage:
    """The inbound message for one raw mail addressed to `recipient` (one of our support addresses); its sender is
    verified when one of our MTAs (`authserv_ids`) authenticated the From domain."""
    if not raw or not raw.strip():
        raise MailParseError("empty message")
    try:
        message = parse_bounded(raw)
    except TooComplex as exc:
        raise MailParseError(exc.reason) from exc
    except Exception as exc:  # the stdlib parser gives up only on inputs that are not mail
        raise MailParseError(f"the mail parser failed: {type(exc).__name__}") from exc
    if not message.keys():
        raise MailParseError("no header fields")
    try:
        built = _build(message, raw, received_at, recipient, max_attachment_bytes)
    except MailParseError:
        raise
    except RecursionError as exc:
        raise MailParseError("MIME structure nested too deeply") from exc
    except Exception as exc:  # a stdlib corner case without a fallback: quarantine, never crash the inbox
        raise MailParseError(f"unreadable message structure: {type(exc).__name__}") from exc
    return dataclasses.replace(built, sender_trust=sender_trust(message, built.sender_address, authserv_ids))


def mail_keys(raw: bytes) -> tuple[str, str]:
    """(native id, content key) of a mail, read from its headers alone: this runs on the event loop for every mail.

    The native id is the Message-ID. The content key is a digest of From, Date, Subject and Content-Type (whose
    multipart boundary is new in every message): a scanner that reuses its Message-IDs sends a new Date and
    boundary each time, while the same mail delivered twice (over SMTP and IMAP, or retried by a server) keeps them
    even when a server re-encodes its body."""
    head = raw[:_HEADER_SCAN_BYTES]
    end = min((i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0), default=len(head))
    try:
        headers = BytesHeaderParser(policy=BOUNDED_HEADERS).parsebytes(head[:end])
        native_id = _native_id(headers, raw)
        fields = (" ".join(" ".join(_raw_values(headers, name)).split()) for name in _CONTENT_KEY_HEADERS)
    except Exception:  # a header the parser chokes on must not lose the mail: fall back to the digest
        digest = f"sha256:{hashlib.sha256(raw).hexdigest()}"
        return digest, digest
    return native_id, hashlib.sha256("\n".join(fields).encode("utf-8", "surrogateescape")).hexdigest()


def native_id_of(raw: bytes) -> str:
    """The mail's key for deduplication (with its content key, see `mail_keys`)."""
    return mail_keys(raw)[0]


def _native_id(message: Message, raw: bytes) -> str:
    """The Message-ID without brackets, or a digest of the bytes when the mail has none."""
    value = _header(message, "message-id")
    found = _MSG_ID.findall(value)
    return (found[0] if found else value.strip("<> ")) or f"sha256:{hashlib.sha256(raw).hexdigest()}"


def _build(
    message: Message, raw: bytes, received_at: datetime, recipient: str, max_attachment_bytes: int
) -> InboundMessage:
    address, name = _sender(message)
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[AttachmentRef] = []
    collect(message, 0, texts, htmls, attachments, max_attachment_bytes)
    report = read_delivery_report(message)  # a bounce: which of our messages bounced, to whom, and why
    return InboundMessage(
        channel=CHANNEL,
        native_id=_native_id(message, raw),
        sender_address=address,
        sender_name=name,
        recipient=recipient,
        subject=_header(message, "subject"),
        text="\n".join(texts),
        html="\n".join(htmls),
        received_at=received_at,
        thread_hints=_thread_hints(message, report.original_ids if report else ()),
        headers=_selected_headers(message),
        attachments=tuple(attachments),
        failed_recipients=report.failed if report else (),
        failure_reason=" ".join(filter(None, (report.status, report.diagnostic))) if report else "",
        cc=_copied(message, address),
    )


# Headers -------------------------------------------------------------------------------------------------------


def _header_values(message: Message, name: str) -> list[str]:
    """Every value of header `name`, decoded and unfolded.

    Raw 8-bit headers are decoded here (UTF-8, else windows-1252), because the policy would turn their bytes into
    U+FFFD; a header the policy cannot parse keeps its raw text, with RFC 2047 words decoded where possible.
    """
    values: list[str] = []
    for raw in _raw_values(message, name):
        if _SURROGATES.search(raw):
            value = decode_words(clean_text(raw))
        else:
            try:
                value = decode_words(str(message.policy.header_fetch_parse(name, raw)))
            except Exception:
                value = decode_words(raw)
        values.append(_WHITESPACE.sub(" ", clean_text(value)).strip())
    return values


def _raw_values(message: Message, name: str) -> list[str]:
    """The raw values of header `name`: the first, then more while they fit in `MAX_HEADER_CHARS` in all, at most
    `MAX_HEADER_REPEATS` (24,000 "To:" lines of 16 KB each took seconds to read as addresses)."""
    values: list[str] = []
    chars = 0
    for value in (str(value) for key, value in message.raw_items() if key.lower() == name):
        chars += len(value)
        if values and (chars > MAX_HEADER_CHARS or len(values) == MAX_HEADER_REPEATS):
            break
        values.append(value)
    return values


def _header(message: Message, name: str) -> str:
    values = _header_values(message, name)
    return values[0] if values else ""


def _selected_headers(message: Message) -> dict[str, str]:
    selected: dict[str, str] = {}
    for name in SELECTED_HEADERS:
        values = _header_values(message, name)
        if values:
            selected[name] = ", ".join(values) if name in _ADDRESS_LISTS else values[0]
    return selected


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    """(address, display name) pairs of an address header, however broken it is."""
    raw = _raw_values(message, name)
    lenient = [(clean_text(address), clean_text(decode_words(display))) for display, address in getaddresses(raw)]
    try:
        header = message.policy.header_fetch_parse(name, raw[0]) if raw else None
        if header is not None and hasattr(header, "addresses"):
            names = {address.lower(): display for address, display in lenient if display}
            return [
                (
                    clean_text(item.addr_spec),
                    clean_text(item.display_name) or names.get(clean_text(item.addr_spec).lower(), ""),
                )
                for item in header.addresses
            ]  # old "addr (Name)" comments: the strict parser drops the name, the lenient one keeps it
    except Exception:
        pass
    return lenient


def _copied(message: Message, sender: str) -> tuple[str, ...]:
    """The valid addresses in Cc (lowercased, each once), the sender left out."""
    found = (address.strip().strip("<>").lower() for address, _ in _addresses(message, "cc"))
    return tuple(dict.fromkeys(a for a in found if _VALID_ADDRESS.match(a) and a != sender))


def _sender(message: Message) -> tuple[str, str]:
    """From's address and name; Reply-To, Sender, then Return-Path when From is missing or invalid."""
    from_name = ""
    for name in _SENDER_HEADERS:
        for address, display in _addresses(message, name):
            display = decode_words(display).strip()
            from_name = from_name or (display if name == "from" else "")
            address = address.strip().strip("<>").lower()
            if _VALID_ADDRESS.match(address):
                return address, display or from_name
    return "", from_name


def _thread_hints(message: Message, returned_ids: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Message ids from In-Reply-To, References and (for a bounce) the returned message, plus the bare key of
    our own outgoing ids."""

    def ids(name: str) -> list[str]:
        return [
            id
            for value in _header_values(message, name)
            for id in _MSG_ID.findall(value) or value.replace(",", " ").split()
        ]

    replied = ids("in-reply-to")[:MAX_THREAD_IDS]
    newest = ids("references")[-(MAX_THREAD_IDS - len(replied)) :] if len(replied) < MAX_THREAD_IDS else []
    hints: dict[str, None] = {}
    for message_id in [*replied, *newest, *returned_ids]:
        gateway = _GATEWAY_ID.match(message_id)
        hints.update(dict.fromkeys(hint for hint in (message_id, gateway.group(1) if gateway else None) if hint))
    return tuple(hints)
