"""Find the ticket a message refers to: "[TL-000123]" in the subject, else a bare number in subject or body."""

from __future__ import annotations

import re


def _patterns(prefix: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    escaped = re.escape(prefix.strip())
    bracketed = re.compile(rf"\[\s*{escaped}\s*-\s*(\d{{1,12}})\s*\]", re.IGNORECASE)
    bare = re.compile(rf"(?<![\w-]){escaped}-(\d{{1,12}})(?!\w)", re.IGNORECASE)
    return bracketed, bare


def find_ticket_ref(subject: str, body: str, prefix: str) -> str | None:
    """The normalised ticket number ("tl-123" -> "TL-000123"), or None.

    Order: a bracketed tag in the subject (also after "RE:"), a bare number in the subject, a bare number in the body.
    """
    if not prefix.strip():
        return None
    bracketed, bare = _patterns(prefix)
    for pattern, text in ((bracketed, subject), (bare, subject), (bare, body)):
        match = pattern.search(text)
        if match:
            return f"{prefix.strip().upper()}-{int(match.group(1)):06d}"
    return None
