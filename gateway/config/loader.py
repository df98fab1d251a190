"""Reads and checks the admin's configuration, reporting every problem at once with the file and line.

`load_settings` returns one validated `Settings` object that the rest of the gateway is built from, or
raises `ConfigError` listing each problem as `file:line: where: what`.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import jinja2
import phonenumbers
from pydantic import BaseModel, ValidationError

from gateway.config.settings import CustomersFile, GatewayFile, GatewaySection
from gateway.config.templates import TemplateComposer, company_facts
from gateway.config.toml_locate import locate
from ticketing.customers import Organisation
from ticketing.replies import ReplyFacts

LANGUAGES = ("es", "en")
REPLY_KINDS = ("acknowledgement", "not_covered")
Model = TypeVar("Model", bound=BaseModel)


class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """Everything the gateway is built from."""

    path: Path
    file: GatewayFile
    organisations: tuple[Organisation, ...]
    templates_dir: Path
    env: Mapping[str, str]

    def secret(self, name: str | None) -> str | None:
        return self.env.get(name) if name else None

    def data_path(self, configured: str) -> Path:
        """A data path from the config: relative ones are under the folder that holds config/."""
        path = Path(configured)
        return path if path.is_absolute() else self.path.parent.parent / path


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: Path, where: str, what: str, line: int | None = None) -> None:
        place = f"{path}:{line}" if line else str(path)
        self.items.append(f"{place}: {where}: {what}" if where else f"{place}: {what}")


def _read_toml(path: Path, problems: _Problems) -> tuple[dict[str, Any], str] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.add(path, "", "file not found")
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.add(path, "", f"cannot read: {error}")
        return None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as error:
        problems.add(path, "", f"not valid TOML: {error}")
        return None


def _validate(model: type[Model], data: dict[str, Any], path: Path, text: str, problems: _Problems) -> Model | None:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"])
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown setting (check the spelling)"
            problems.add(path, where, message, locate(text, item["loc"]))
        return None


def _report_entry(problems: _Problems, path: Path, text: str, entry_id: str, index: int, field: str, what: str) -> None:
    loc = ("organisation", index, field)
    problems.add(path, f"organisation[{entry_id}].{field}", what, locate(text, loc))


def _organisations(
    customers: CustomersFile, plans: list[str], region: str, path: Path, text: str, problems: _Problems
) -> list[Organisation]:
    organisations: list[Organisation] = []
    owner: dict[str, str] = {}
    for index, entry in enumerate(customers.organisation):
        report = functools.partial(_report_entry, problems, path, text, entry.id, index)
        if entry.plan not in plans:
            report("plan", f"unknown plan {entry.plan!r} (gateway.toml defines: {', '.join(plans)})")
        phones = []
        for raw in entry.phones:
            try:
                number = phonenumbers.parse(raw, region)
            except phonenumbers.NumberParseException:
                number = None
            if number is None or not phonenumbers.is_possible_number(number):
                report("phones", f"not a phone number: {raw!r}")
                continue
            phones.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
        emails = [email.strip().lower() for email in entry.emails]
        domains = [domain.strip().lower().lstrip("@") for domain in entry.domains]
        for field, values in (
            ("emails", emails),
            ("domains", domains),
            ("phones", phones),
            ("slack_users", entry.slack_users),
            ("slack_channels", entry.slack_channels),
        ):
            for value in values:
                if field == "emails" and value.count("@") != 1:
                    report(field, f"not an email address: {value!r}")
                previous = owner.setdefault(value, entry.id)
                if previous != entry.id:
                    report(field, f"{value!r} already identifies organisation {previous!r}")
        organisations.append(
            Organisation(
                id=entry.id,
                name=entry.name,
                plan=entry.plan,
                language=entry.language,
                emails=frozenset(emails),
                domains=frozenset(domains),
                phones=frozenset(phones),
                chat_users=frozenset([*entry.slack_users, *entry.slack_channels]),
            )
        )
    return organisations


def _check_templates(templates_dir: Path, config: GatewayFile | None, problems: _Problems) -> None:
    """Every reply template exists, parses, and renders with sample facts (an unknown name is caught here).

    Channel templates (`es/whatsapp/acknowledgement.txt`) are optional; those present are checked the same way."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(templates_dir))
    composer = None
    now = datetime.now(UTC)
    if config is not None:
        tz = ZoneInfo(config.sla.timezone)
        composer = TemplateComposer(templates_dir, tz, config.gateway.default_language, company_facts(config))
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
            except (jinja2.TemplateError, TypeError, ValueError, KeyError) as error:
                problems.add(path, "", f"template does not render: {error}")


def _named_secrets(config: GatewayFile) -> list[tuple[tuple[str | int, ...], str | None]]:
    """Every environment variable the enabled parts of the configuration name, with the setting that names it."""
    channels = config.channels
    email, whatsapp, slack = channels.email, channels.whatsapp, channels.slack
    named: list[tuple[tuple[str | int, ...], object, tuple[str, ...]]] = [(("store",), config.store, ("url_env",))]
    if email and email.enabled and email.outgoing.transport == "smtp":
        named.append((("channels", "email", "outgoing"), email.outgoing, ("username_env", "password_env")))
    for index, mailbox in enumerate(email.imap if email and email.enabled else []):
        named.append((("channels", "email", "imap", index), mailbox, ("username_env", "password_env")))
    if whatsapp and whatsapp.enabled:
        named.append((("channels", "whatsapp"), whatsapp, ("account_sid_env", "auth_token_env")))
    if slack and slack.enabled:
        named.append((("channels", "slack"), slack, ("bot_token_env", "signing_secret_env")))
    for name, relay in channels.relay.items():
        if relay.enabled:
            named.append((("channels", "relay", name), relay, ("secret_env", "previous_secret_env")))
    return [((*where, field), getattr(section, field)) for where, section, fields in named for field in fields]


def _check_secrets(config: GatewayFile, env: Mapping[str, str], path: Path, text: str, problems: _Problems) -> None:
    if config.store.backend == "postgresql" and not config.store.url_env:
        problems.add(path, "store.url_env", "the postgresql backend needs url_env", locate(text, ("store",)))
    for loc, name in _named_secrets(config):
        if name and not env.get(name):
            problems.add(path, ".".join(map(str, loc)), f"environment variable {name} is not set", locate(text, loc))


def load_settings(path: Path, env: Mapping[str, str], check_secrets: bool = True) -> Settings:
    """Read gateway.toml, customers.toml and the templates; raise ConfigError with every problem found.

    A broken gateway.toml does not stop the other files from being checked: the admin sees everything at once.
    `check_secrets=False` is for commands that only read the store (they need no passwords).
    """
    problems = _Problems()
    loaded = _read_toml(path, problems)
    if loaded is None:
        raise ConfigError(problems.items)
    data, text = loaded
    config = _validate(GatewayFile, data, path, text, problems)
    # Where the other files are and which plans exist, even when gateway.toml itself has problems.
    defaults = GatewaySection()
    raw_section = data.get("gateway")
    section: dict[str, Any] = raw_section if isinstance(raw_section, dict) else {}
    plans = list(data["plans"]) if isinstance(data.get("plans"), dict) else []
    region = str(section.get("default_phone_region", defaults.default_phone_region))
    customers_path = path.parent / str(section.get("customers", defaults.customers))
    templates_dir = path.parent / str(section.get("templates", defaults.templates))
    organisations: list[Organisation] = []
    customers_loaded = _read_toml(customers_path, problems)
    if customers_loaded:
        customers = _validate(CustomersFile, customers_loaded[0], customers_path, customers_loaded[1], problems)
        if customers:
            organisations = _organisations(customers, plans, region, customers_path, customers_loaded[1], problems)
    _check_templates(templates_dir, config, problems)
    if config is not None and check_secrets:
        _check_secrets(config, env, path, text, problems)
    if problems.items or config is None:
        raise ConfigError(problems.items)
    return Settings(path, config, tuple(organisations), templates_dir, env)
