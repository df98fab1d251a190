"""Words replies from the admin's Jinja2 templates (`config/templates/<lang>/<kind>.txt`).

Dates are shown in the SLA time zone, in the client's language, with the GMT offset the agreement uses
(e.g. "lunes 30 de noviembre de 2026, 09:00 (GMT-5)").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_datetime

from gateway.config.settings import GatewayFile

DATE_FORMATS = {
    "es": "EEEE d 'de' MMMM 'de' y, HH:mm",
    "en": "EEEE, MMMM d, y, h:mm a",
}


def gmt_label(moment: datetime) -> str:
    """ "GMT-5" for Bogota; minutes shown only when the offset has them ("GMT+5:30")."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"GMT{sign}{hours}" + (f":{rest:02d}" if rest else "")


def format_moment(moment: datetime | None, language: str, tz: ZoneInfo) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(tz)
    text = format_datetime(local, DATE_FORMATS.get(language, DATE_FORMATS["en"]), tzinfo=tz, locale=language)
    return f"{text} ({gmt_label(local)})"


def company_facts(config: GatewayFile) -> dict[str, Any]:
    """What every template may use besides the ticket's facts."""
    email = config.channels.email
    return {"company": config.gateway.company, "support_address": email.support_addresses[0] if email else ""}


class TemplateComposer:
    """A `ReplyComposer` over a folder of templates, falling back to the default language's template."""

    def __init__(self, templates_dir: Path, tz: ZoneInfo, default_language: str, common: Mapping[str, Any]) -> None:
        self._tz = tz
        self._default_language = default_language
        self._common = dict(common)
        self._environments: dict[str, jinja2.Environment] = {}
        self._loader = jinja2.FileSystemLoader(templates_dir)

    def _environment(self, language: str) -> jinja2.Environment:
        if language not in self._environments:
            environment = jinja2.Environment(
                loader=self._loader,
                undefined=jinja2.StrictUndefined,
                keep_trailing_newline=True,
                autoescape=False,
            )
            environment.filters["when"] = lambda moment: format_moment(moment, language, self._tz)
            self._environments[language] = environment
        return self._environments[language]

    def render(self, kind: str, language: str, context: Mapping[str, Any]) -> str:
        """The channel's own template (`es/whatsapp/acknowledgement.txt`) if there is one, else the language's
        (`es/acknowledgement.txt`); the default language's when the client's has neither."""
        channel = str(context.get("channel", ""))
        for lang in dict.fromkeys((language, self._default_language)):
            names = [f"{lang}/{channel}/{kind}.txt"] if channel else []
            try:
                template = self._environment(lang).select_template([*names, f"{lang}/{kind}.txt"])
            except jinja2.TemplateNotFound:
                continue
            return template.render({**self._common, **context, "language": lang})
        raise jinja2.TemplateNotFound(f"{language}/{kind}.txt")
