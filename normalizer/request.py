"""One inbound message (any channel) to one written request: clean body, language, priority, ticket, loop flags."""

from __future__ import annotations

import re

from normalizer.html_text import html_to_text
from normalizer.language import LanguageDetector
from normalizer.loops import is_auto_reply, is_bounce, is_own_message
from normalizer.priority import MARKER, detect_priority
from normalizer.quotes import strip_quotes
from normalizer.ticket_ref import find_ticket_ref
from ticketing.types import InboundMessage, WrittenRequest

# "RE: RV: [TL-000123]" carry no language; lingua reads "RE" as English.
_SUBJECT_PREFIXES = re.compile(r"^\s*(?:(?:re|rv|aw|fw|fwd|tr)\s*:\s*|\[[^\]]*\]\s*)*", re.IGNORECASE)
# A forward's subject, in the mail clients' languages ("RE: RV: …" is a reply to a forward, not a forward).
_FORWARD_SUBJECT = re.compile(r"^\s*(?:\[[^\]]*\]\s*)?(?:fwd?|rv|reenv|tr|wg|enc|i|vs|vb|doorst|fs)\s*:", re.IGNORECASE)


class Normalizer:
    """Pure and stateless apart from its configuration: the same message always gives the same request."""

    def __init__(
        self, ticket_prefix: str, language_detector: LanguageDetector, own_domains: frozenset[str] = frozenset()
    ) -> None:
        self._ticket_prefix = ticket_prefix
        self._language_detector = language_detector
        self._own_domains = frozenset(domain.lower() for domain in own_domains)

    def normalize(self, message: InboundMessage) -> WrittenRequest:
        """The request as the client wrote it now. `original_body` keeps the full text, quotes included."""
        text = message.text if message.text.strip() else html_to_text(message.html)
        body = strip_quotes(text, forward=bool(_FORWARD_SUBJECT.match(message.subject)))
        priority, reason = detect_priority(message.subject, body)
        restated, restated_reason = detect_priority("", body)
        ticket_ref = find_ticket_ref(message.subject, body, self._ticket_prefix) or find_ticket_ref(
            "", text, self._ticket_prefix
        )
        content_type = message.headers.get("content-type", "")
        return WrittenRequest(
            message=message,
            body=body,
            original_body=text,
            language=self._language_detector.guess(f"{_SUBJECT_PREFIXES.sub('', message.subject)}\n{body}"),
            priority=priority,
            priority_reason=reason,
            ticket_ref=ticket_ref,
            auto_reply=is_auto_reply(message.headers, message.subject, message.sender_address),
            bounce=is_bounce(message.headers, content_type, message.sender_address, message.subject),
            own_message=is_own_message(message.native_id, message.headers, message.sender_address, self._own_domains),
            restated_priority=restated if restated_reason.startswith(MARKER) else None,
        )
