"""HTML mail bodies to readable plain text, for messages that carry no text/plain part.

inscriptis renders the layout (paragraphs, lists, tables) as text; this module only tidies the result so the quote
stripper sees one reply header per line: trailing spaces and non-breaking spaces go, and runs of blank lines collapse
to one.
"""

from __future__ import annotations

import html as html_entities
import re

from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

_BLANK_RUNS = re.compile(r"\n[ \t]*(?:\n[ \t]*){2,}")
_TAG = re.compile(r"<[^>]*>")
_INVISIBLE = str.maketrans({"\u00a0": " ", "\u200b": None, "\ufeff": None, "\r": None})


def html_to_text(html: str) -> str:
    """Readable text of an HTML body ("" for an empty one), with at most one blank line in a row."""
    if not html or not html.strip():
        return ""
    config = ParserConfig(css=CSS_PROFILES["strict"], display_links=False, display_images=False)
    try:
        text = get_text(html, config)
    except Exception:  # lxml refuses some inputs; a crude tag strip still keeps the client's words
        text = html_entities.unescape(_TAG.sub(" ", html))
    text = text.translate(_INVISIBLE)
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")
