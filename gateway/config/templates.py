"""The admin's reply templates (`config/templates/<lang>/<kind>.txt`, Jinja2): worded with a ticket's facts, and
checked before any client reads them.

Besides the ticket's facts (`ticketing.replies.ReplyFacts`), every template may use `company`, what the channels
add (`support_address`), `labels` (the language's labels: `labels.priority(priority)`), `opening_hours` and
`holidays_in` (written from the configured calendar), and the `when` filter: a moment in the SLA time zone, in the
client's language, with the GMT offset the agreement uses ("lunes 30 de noviembre de 2026, 09:00 (GMT-5)").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from adapters.labels import Texts
from adapters.local_time import format_moment
from gateway.config.problems import Problems
from ticketing.replies import ReplyFacts

LANGUAGES = ("es", "en")
REPLY_KINDS = ("acknowledgement", "not_covered")


class TemplateComposer:
    """A `ReplyComposer` over a folder of templates, falling back to the default language's template."""

    def __init__(self, templates_dir: Path, tz: ZoneInfo, texts: Texts, common: Mapping[str, Any]) -> None:
        self._tz = tz
        self._texts = texts
        self._default_language = texts.default_language
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

    def _words(self, language: str) -> dict[str, Any]:
        """What every template of `language` may use besides the ticket's facts."""
        return {
            "language": language,
            "labels": self._texts(language),
            "opening_hours": self._texts.opening_hours(language),
            "holidays_in": self._texts.hours.holidays_in(language),
        }

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
            return template.render({**self._common, **context, **self._words(lang)})
        raise jinja2.TemplateNotFound(f"{language}/{kind}.txt")


def check_templates(templates_dir: Path, composer: TemplateComposer | None, problems: Problems) -> None:
    """Every reply template exists, parses, and renders with sample facts (an unknown name is caught here).

    Channel templates (`es/whatsapp/acknowledgement.txt`) are optional; those present are checked the same way.
    Without a composer (gateway.toml itself has problems) templates are only parsed."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(templates_dir))
    now = datetime.now(UTC)
    for language in LANGUAGES:
        wanted = [(f"{language}/{kind}.txt", kind, "email", True) for kind in REPLY_KINDS]
        folder = templates_dir / language
        channels = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        wanted += [(f"{language}/{ch}/{kind}.txt", kind, ch, False) for ch in channels for kind in REPLY_KINDS]
        for name, kind, channel, required in wanted:
            path = templates_dir / name
            if not path.is_file():
                if required:
                    problems.add(path, "", "template missing")
                continue
            try:
                environment.parse(path.read_text(encoding="utf-8"), name, str(path))
                if composer is not None:
                    composer.render(kind, language, ReplyFacts.sample(now, channel).as_context())
            except jinja2.TemplateSyntaxError as error:
                problems.add(Path(error.filename or path), "", f"template error: {error.message}", error.lineno)
            except (jinja2.TemplateError, TypeError, ValueError, KeyError, AttributeError) as error:
                problems.add(path, "", f"template does not render: {error}")
