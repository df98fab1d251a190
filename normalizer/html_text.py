"""HTML mail bodies to readable plain text, for messages that carry no text/plain part.

inscriptis renders the layout (paragraphs, lists, tables) as text; this module only tidies the result so the quote
stripper sees one reply header per line: trailing spaces and non-breaking spaces go, and runs of blank lines collapse
to one.
"""

from __future__ import annotations

import functools
import html as html_entities
import re
from collections.abc import Callable

_BLANK_RUNS = re.compile(r"\n[ \t]*(?:\n[ \t]*){2,}")
_TAG = re.compile(r"<[^>]*>")
_INVISIBLE = str.maketrans({"\u00a0": " ", "\u200b": None, "\ufeff": None, "\r": None})
_TABLE_TAGS = ("table", "tr", "td", "th")


@functools.cache
def _renderer() -> Callable[[str], str]:
    """inscriptis with our layout, loaded at the first HTML body (with lxml, 4 MB that a gateway whose HTML mail is
    read in worker processes never needs in its main one)."""
    from inscriptis import get_text
    from inscriptis.css_profiles import CSS_PROFILES
    from inscriptis.html_properties import Display
    from inscriptis.model.config import ParserConfig
    from inscriptis.model.html_element import HtmlElement
    from inscriptis.model.tag import CustomHtmlTagHandlerMapping

    # Table rows as lines and cells as words: inscriptis lays tables out in aligned columns, padding every row to
    # the widest cell, so one 200 KB cell over 160 rows rendered as 32 MB of spaces (rows x width grows unbounded).
    flat_tables = CustomHtmlTagHandlerMapping(
        start_tag_mapping={tag: lambda state, attrs: None for tag in _TABLE_TAGS},
        end_tag_mapping={tag: lambda state: None for tag in _TABLE_TAGS},
    )
    css = {
        **CSS_PROFILES["strict"],
        "table": HtmlElement(display=Display.block),
        "tr": HtmlElement(display=Display.block),
        "td": HtmlElement(prefix=" ", suffix=" ", limit_whitespace_affixes=True),
        "th": HtmlElement(prefix=" ", suffix=" ", limit_whitespace_affixes=True),
    }
    config = ParserConfig(
        css=css, display_links=False, display_images=False, custom_html_tag_handler_mapping=flat_tables
    )
    return lambda html: str(get_text(html, config))


def html_to_text(html: str) -> str:
    """Readable text of an HTML body ("" for an empty one), with at most one blank line in a row."""
    if not html or not html.strip():
        return ""
    try:
        text = _renderer()(html)
    except Exception:  # lxml refuses some inputs; a crude tag strip still keeps the client's words
        text = html_entities.unescape(_TAG.sub(" ", html))
    text = text.translate(_INVISIBLE)
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")
