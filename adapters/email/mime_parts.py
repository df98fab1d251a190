"""The parts of a parsed mail: its text and HTML bodies and its attachments, and text decoding with fallbacks.

Used by `adapters.email.parse`; every decode has a fallback so malformed mail still yields readable text.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Callable
from email import policy
from email.header import decode_header, make_header
from email.message import Message

from adapters.email.bounded import MAX_DEPTH
from ticketing.types import AttachmentRef

_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_RAW_FILENAME = re.compile(r"(?:^|;)\s*(?:file)?name\s*=\s*(\"[^\"]*\"|[^;]*)", re.IGNORECASE)
# Labels that in practice also cover UTF-8 (mislabelled) and windows-1252 (as WHATWG decodes "iso-8859-1").
_WESTERN_LABELS = frozenset({"ascii", "iso8859-1", "cp1252"})
_WHITESPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Make a parsed string safe to store: undecodable bytes (surrogate escapes) become text or U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return _decode_bytes(text.encode("utf-8", "surrogateescape"), None)
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def decode_words(text: str) -> str:
    """Decode RFC 2047 words the policy left alone (inside quotes, in parameters); keep the text if they are bad."""
    if not _ENCODED_WORD.search(text):
        return text
    try:
        return str(make_header(decode_header(text)))
    except Exception:
        return text


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Text of a body part. Western labels (us-ascii, iso-8859-1, windows-1252) try UTF-8 then windows-1252; others
    the declared charset then UTF-8. When nothing decodes cleanly: the declared charset (or windows-1252) with U+FFFD.
    """
    codec: str | None = None
    if charset:
        try:
            codec = codecs.lookup(charset.strip().strip('"').lower()).name
        except (LookupError, ValueError, TypeError):
            codec = None
    candidates = ("utf-8", "cp1252") if codec in _WESTERN_LABELS else (codec, "utf-8")
    for candidate in candidates:
        if candidate:
            try:
                return data.decode(candidate)
            except (UnicodeDecodeError, LookupError):
                continue
    fallback = "cp1252" if codec in _WESTERN_LABELS or codec is None else codec
    try:
        return data.decode(fallback, errors="replace")
    except LookupError:  # a codec that is not a text encoding ("base64", "zlib")
        return data.decode("cp1252", errors="replace")


def _safe(call: Callable[[], object], default: str) -> str:
    try:
        value = call()
    except Exception:
        return default
    return value if isinstance(value, str) else default


def _part_bytes(part: Message) -> bytes:
    """The decoded content of a leaf part, or the serialised messages of a message/* part."""
    payload = part.get_payload()
    if isinstance(payload, list):
        chunks: list[bytes] = []
        for inner in payload:
            if not isinstance(inner, Message):
                continue
            for serialise_policy in (None, policy.compat32):
                try:
                    chunks.append(inner.as_bytes(policy=serialise_policy))
                    break
                except Exception:
                    continue
        return b"\n".join(chunks)
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    return clean_text(payload if isinstance(payload, str) else "").encode("utf-8", "replace")


def _raw_filename(part: Message) -> str:
    """The name as written in Content-Disposition or Content-Type, for values the policy cuts short or drops
    (unquoted names with spaces, bare RFC 2047 words)."""
    for header in ("content-disposition", "content-type"):
        for key, raw in part.raw_items():
            if key.lower() != header:
                continue
            params = ";" + _WHITESPACE.sub(" ", clean_text(str(raw))).partition(";")[2]
            match = _RAW_FILENAME.search(params)
            if match and match.group(1).strip(' "'):
                return match.group(1).strip(' "')
    return ""


def _filename(part: Message, number: int) -> str:
    name = _safe(part.get_filename, "")
    raw_name = _raw_filename(part)
    if not name or (raw_name.startswith(name) and len(raw_name) > len(name)):
        name = raw_name
    name = clean_text(decode_words(name))
    name = _CONTROL.sub("", name.replace("\\", "/").rsplit("/", 1)[-1]).strip().strip(".")
    return name[:255] or f"attachment-{number}"


def _attachment(part: Message, content_type: str, number: int, max_bytes: int) -> AttachmentRef:
    data = _part_bytes(part)
    over = len(data) > max_bytes
    return AttachmentRef(
        filename=_filename(part, number),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=None if over else data,
        note=f"over the size limit ({max_bytes} bytes)" if over else "",
    )


def collect(
    part: Message, depth: int, texts: list[str], htmls: list[str], attachments: list[AttachmentRef], max_bytes: int
) -> None:
    """Walk the MIME tree in order: inline text/plain and text/html parts are the body, everything else attaches.

    An attached message (message/rfc822) is one attachment: its own body is not the client's request.
    """
    content_type = _safe(part.get_content_type, "application/octet-stream").lower()
    maintype = content_type.partition("/")[0]
    payload = part.get_payload()
    if maintype == "multipart" and isinstance(payload, list) and depth < MAX_DEPTH:
        for inner in payload:
            if isinstance(inner, Message):
                collect(inner, depth + 1, texts, htmls, attachments, max_bytes)
        return
    disposition = _safe(part.get_content_disposition, "")
    has_name = bool(_safe(part.get_filename, "") or _raw_filename(part))
    is_text = content_type in ("text/plain", "text/html") or (maintype == "multipart" and not isinstance(payload, list))
    if is_text and disposition != "attachment" and not has_name:
        charset = _safe(part.get_content_charset, "") or None
        text = _decode_bytes(_part_bytes(part), charset).replace("\r\n", "\n")
        (htmls if content_type == "text/html" else texts).append(text)
        return
    attachments.append(_attachment(part, content_type, len(attachments) + 1, max_bytes))
