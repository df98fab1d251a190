"""Bounds on how much work the standard library's mail parser does, so that no mail makes a read slow.

The stdlib reads structured header values at 5–20 µs a character and checks every line of a part against every
multipart boundary open around it, so a crafted mail of 2 MB took seconds (fuzz seeds 20498, 64917) and a bigger
one could take minutes. `parse_bounded` parses a mail within these bounds:

- every header value, of the mail and of each part, is cut at `MAX_HEADER_CHARS` as it is read (a header naming
  one address, such as From, at `MAX_MAILBOX_CHARS`);
- each header name's class is made once, and each value parsed once per mail, however often it is asked for (a
  part's Content-Type was parsed 20 times: by the parser, the walk over the parts, the bounce reader);
- the Content-Type and Content-Disposition values of all parts share `MAX_MIME_HEADER_CHARS`; past that budget a
  value keeps its media type and boundary only (a part may lose its file name, never its place in the tree);
- a mail of more than `MAX_PARTS` parts, or with parts nested deeper than `MAX_DEPTH`, stops the parse with
  `TooComplex` as soon as the parser meets it (the caller quarantines it with its raw bytes and the reason).
"""

from __future__ import annotations

import re
from email.feedparser import BytesFeedParser
from email.message import EmailMessage
from email.policy import EmailPolicy, Policy
from typing import Any, cast

from adapters.email.header_classes import HeaderClasses

MAX_HEADER_CHARS = 16 * 1024  # a To of some 400 addresses; the rest of a longer value is ignored
MAX_MAILBOX_CHARS = 2 * 1024  # one address and its display name, encoded
_MAILBOX_HEADERS = frozenset({"from", "sender", "reply-to", "return-path"})
MAX_MIME_HEADER_CHARS = 32 * 1024  # a hundred attachments with long file names
MAX_PARTS = 1_000
MAX_DEPTH = 30
_MIME_HEADERS = frozenset({"content-type", "content-disposition"})
_BOUNDARY = re.compile(r""";\s*boundary\s*=\s*("[^"]{0,200}"|[^\s;]{0,200})""", re.IGNORECASE)


class TooComplex(Exception):
    """The mail has more MIME parts, or deeper ones, than any client sends; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _ParseState:
    """What one parse remembers: characters of Content-Type and Content-Disposition left to read in full, and the
    header values already parsed."""

    def __init__(self, chars: int) -> None:
        self.chars = chars
        self.parsed: dict[tuple[str, str], Any] = {}

    def take(self, value: str) -> str:
        """`value` whole while the budget lasts, then only its media type and boundary."""
        if len(value) <= self.chars:
            self.chars -= len(value)
            return value
        self.chars = 0
        boundary = _BOUNDARY.search(value)
        media_type = value.split(";", 1)[0][:100]
        return f"{media_type}; boundary={boundary.group(1)}" if boundary else media_type


class _BoundedHeaders(EmailPolicy):
    """`email.policy.default`, with every header value cut as it is read; within `parse_bounded`, the MIME
    structure headers drawn from the parse's budget and each value parsed once (`state`)."""

    state: _ParseState | None = None

    def header_source_parse(self, sourcelines: list[str]) -> tuple[str, str]:
        name, value = super().header_source_parse(sourcelines)
        lowered = name.lower()
        value = value[: MAX_MAILBOX_CHARS if lowered in _MAILBOX_HEADERS else MAX_HEADER_CHARS]
        if self.state is not None and lowered in _MIME_HEADERS:
            value = self.state.take(value)
        return name, value

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if self.state is None:
            return super().header_fetch_parse(name, value)
        key = (name.lower(), value)  # "From" (Message.get) and "from" (our readers) are one header
        if key not in self.state.parsed:  # header objects are immutable: one serves every caller
            self.state.parsed[key] = super().header_fetch_parse(name, value)
        return self.state.parsed[key]


BOUNDED_HEADERS = _BoundedHeaders(header_factory=HeaderClasses())


class _PartLimit:
    """The parser's message factory: counts the parts it makes and reads their depth off the parser's stack of
    open parts (`FeedParser._msgstack`, the one place the depth is known while parsing)."""

    def __init__(self) -> None:
        self.parser: BytesFeedParser[EmailMessage] | None = None
        self.parts = 0

    def __call__(self, policy: Policy = BOUNDED_HEADERS) -> EmailMessage:
        if self.parser is not None:  # the FeedParser calls its factory once, before parsing, to probe it
            self.parts += 1
            if self.parts > MAX_PARTS:
                raise TooComplex(f"more than {MAX_PARTS:,} MIME parts")
            if len(self.parser._msgstack) > MAX_DEPTH:  # type: ignore[attr-defined]
                raise TooComplex(f"MIME structure nested deeper than {MAX_DEPTH} levels")
        return EmailMessage(policy=policy)


def parse_bounded(raw: bytes) -> EmailMessage:
    """The parsed mail; `TooComplex` past the part or depth limit."""
    limit = _PartLimit()
    policy = cast("Policy[EmailMessage]", BOUNDED_HEADERS.clone(state=_ParseState(MAX_MIME_HEADER_CHARS)))  # type: ignore[call-arg]
    parser: BytesFeedParser[EmailMessage] = BytesFeedParser(_factory=limit, policy=policy)
    limit.parser = parser
    parser.feed(raw)
    return parser.close()
