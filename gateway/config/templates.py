"""The admin's reply templates (`config/templates/<lang>/<channel>/<kind>.txt`, Jinja2): worded with a ticket's
facts, and checked before any client reads them. They are read once, when the gateway starts or reloads its
configuration: an edit counts once `check-config`'s checks passed on it. A channel without templates of its own
answers in the chat wording (`<lang>/chat/`: short, nothing about mail subjects), never in email's
(`<lang>/email/`).

Besides the ticket's facts (`ticketing.replies.ReplyFacts`), every template may use `company`, what the channels
add (`support_address`), `labels` (the language's labels: `labels.priority(priority)`), `opening_hours` and
`holidays_in` (written from the configured calendar), and the `when` filter: a moment in the SLA time zone, in the
client's language, with the GMT offset the agreement uses ("lunes 30 de noviembre de 2026, 09:00 (GMT-5)").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from adapters.labels import Texts
from adapters.local_time import format_moment
from gateway.config.problems import Problems
from ticketing.notices import NOTICE_KINDS
from ticketing.replies import ReplyFacts

LANGUAGES = ("es", "en")
REPLY_KINDS = ("acknowledgement", "not_covered", "priority_changed", "agent_reply", *NOTICE_KINDS)
_SAMPLE_MOMENT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
# What a kind's templates get besides the ticket's facts (an agent's reply wraps what the agent wrote; the desk's
# notices say when the ticket closes or until when it reopens).
SAMPLES: dict[str, dict[str, Any]] = {
    "agent_reply": {"text": "Reiniciamos el servidor. ¿Ya funciona?", "agent": "Ana"},
    "information_reminder": {"closes_at": _SAMPLE_MOMENT},
    "resolved": {"level": 1, "reopen_until": _SAMPLE_MOMENT},
}
FALLBACK = "chat"  # the wording of any channel without templates of its own: short, nothing about mail subjects
FOLDER_NAME = re.compile(r"^[a-z0-9_-]+$")  # a channel named so has its templates in the folder of its name


class TemplateComposer:
    """A `ReplyComposer` over a folder of templates: `<lang>/<channel folder>/<kind>.txt`, the channel's own folders
    first (`folders`, from the channels' facts), then `<lang>/chat/`; the default language's when the client's has
    neither."""

    def __init__(
        self,
        templates_dir: Path,
        tz: ZoneInfo,
        texts: Texts,
        common: Mapping[str, Any],
        folders: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self._tz = tz
        self._texts = texts
        self._default_language = texts.default_language
        self._common = dict(common)
        self._folders = dict(folders or {})
        self._environments: dict[str, jinja2.Environment] = {}
        # The templates as they were read: an edit on disk counts only once a reload has checked it (`adopt`).
        self._loader = jinja2.DictLoader(read_templates(templates_dir))

    def adopt(self, other: TemplateComposer) -> None:
        """Take `other`'s templates, words and channel folders (a reloaded configuration, checked already)."""
        self._tz, self._texts, self._default_language = other._tz, other._texts, other._default_language
        self._common, self._folders = other._common, other._folders
        self._environments, self._loader = other._environments, other._loader

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

    def names(self, kind: str, language: str, channel: str) -> list[str]:
        """The templates that may word a reply of `kind` on `channel`, in the order they are tried."""
        own = self._folders.get(channel) or ((channel,) if FOLDER_NAME.match(channel) else ())
        folders = [*own, FALLBACK]
        return [f"{language}/{folder}/{kind}.txt" for folder in folders]

    def render(self, kind: str, language: str, context: Mapping[str, Any]) -> str:
        """The reply in the client's language (the default language's when the client's has no template)."""
        channel = str(context.get("channel", ""))
        for lang in dict.fromkeys((language, self._default_language)):
            try:
                template = self._environment(lang).select_template(self.names(kind, lang, channel))
            except jinja2.TemplateNotFound:
                continue
            return self.render_template(template.name or "", lang, context)
        raise jinja2.TemplateNotFound(f"{language}/{FALLBACK}/{kind}.txt")

    def render_template(self, name: str, language: str, context: Mapping[str, Any]) -> str:
        """One template by its name (`es/relay/acknowledgement.txt`), with all a template may use."""
        template = self._environment(language).get_template(name)
        return template.render({**self._common, **context, **self._words(language)})

    def channels_on_chat_templates(self) -> list[str]:
        """The channels that answer clients in the chat wording, having no templates of their own."""
        environment = self._environment(self._default_language)
        missing = []
        for channel, folders in sorted(self._folders.items()):
            names = [f"{lang}/{folder}/{kind}.txt" for lang in LANGUAGES for folder in folders for kind in REPLY_KINDS]
            if not any(_exists(environment, name) for name in names):
                missing.append(channel)
        return missing


def read_templates(templates_dir: Path) -> dict[str, str]:
    """Every template under `templates_dir` by its name (`es/email/acknowledgement.txt`), read once."""
    found = sorted(templates_dir.rglob("*.txt")) if templates_dir.is_dir() else []
    return {path.relative_to(templates_dir).as_posix(): path.read_text(encoding="utf-8") for path in found}


def _exists(environment: jinja2.Environment, name: str) -> bool:
    try:
        environment.get_template(name)
    except jinja2.TemplateNotFound:
        return False
    return True


def check_templates(templates_dir: Path, composer: TemplateComposer | None, problems: Problems) -> list[str]:
    """Every reply template parses and renders with sample facts (an unknown name is caught here), and the chat
    ones every channel falls back to exist. Returns notes: the channels with no templates of their own.

    Without a composer (gateway.toml itself has problems) templates are only parsed."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(templates_dir))
    sample = ReplyFacts.sample(datetime.now(UTC)).as_context()
    notes: list[str] = []
    for language in LANGUAGES:
        for kind in REPLY_KINDS:
            if not (templates_dir / language / FALLBACK / f"{kind}.txt").is_file():
                problems.add(templates_dir / language / FALLBACK / f"{kind}.txt", "", "template missing")
        folder = templates_dir / language
        for path in sorted(folder.rglob("*.txt")) if folder.is_dir() else []:
            name = path.relative_to(templates_dir).as_posix()
            if path.name.startswith("_"):  # imported by the others (macros)
                continue
            if path.parent == folder:
                notes.append(
                    f"{path} is not used: replies are worded from {language}/<channel>/ (email's: {language}/email/)"
                )
                continue
            try:
                environment.parse(path.read_text(encoding="utf-8"), name, str(path))
                if composer is not None:
                    composer.render_template(name, language, {**sample, **SAMPLES.get(path.stem, {})})
            except jinja2.TemplateSyntaxError as error:
                problems.add(Path(error.filename or path), "", f"template error: {error.message}", error.lineno)
            except (jinja2.TemplateError, TypeError, ValueError, KeyError, AttributeError) as error:
                problems.add(path, "", f"template does not render: {error}")
    if composer is None:
        return notes
    return notes + [
        f"channel {channel} has no reply templates of its own: it answers in the chat wording (templates/<lang>/chat/)"
        for channel in composer.channels_on_chat_templates()
    ]
