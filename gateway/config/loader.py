"""Reads and checks the admin's configuration, reporting every problem at once with the file and line.

`load_settings` reads `gateway.toml` (with one section per channel of the tuple it is given), `customers.toml`,
`labels.toml` and the reply templates, and returns one validated `Settings` object that the rest of the gateway is
built from, or raises `ConfigError` listing each problem as `file:line: where: what`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from adapters.channel import Channel, ChannelFacts
from adapters.labels import Texts
from adapters.settings import named_secrets
from gateway.channels import CHANNELS
from gateway.config.customers import load_organisations
from gateway.config.labels import default_texts, load_labels, texts
from gateway.config.problems import ConfigError, Problems, read_toml, validate
from gateway.config.settings import MIN_ADMIN_PASSWORD, GatewayFile, GatewaySection, gateway_file_model
from gateway.config.templates import TemplateComposer, check_templates
from gateway.config.toml_locate import locate
from ticketing.customers import Organisation

__all__ = ["ConfigError", "Settings", "load_settings"]


@dataclass(frozen=True)
class Settings:
    """Everything the gateway is built from."""

    path: Path
    file: GatewayFile
    organisations: tuple[Organisation, ...]
    templates_dir: Path
    texts: Texts
    env: Mapping[str, str]
    channels: tuple[Channel[Any], ...] = CHANNELS
    facts: Mapping[str, ChannelFacts] = field(default_factory=dict)  # by channel name
    notes: tuple[str, ...] = ()  # what check-config says besides problems (a channel on the chat templates)

    def secret(self, name: str | None) -> str | None:
        return self.env.get(name) if name else None

    def data_path(self, configured: str) -> Path:
        """A data path from the config: relative ones are under the folder that holds config/."""
        path = Path(configured)
        return path if path.is_absolute() else self.path.parent.parent / path

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.file.sla.timezone)

    def reply_facts(self) -> dict[str, Any]:
        """What every reply template may use besides the ticket's facts (the channels add theirs)."""
        common: dict[str, Any] = {"company": self.file.gateway.company, "support_address": ""}
        for facts in self.facts.values():
            common.update(facts.reply_facts)
        return common

    def own_domains(self) -> frozenset[str]:
        return frozenset(domain for facts in self.facts.values() for domain in facts.own_domains)

    def continue_within(self) -> dict[str, timedelta]:
        return {channel: window for facts in self.facts.values() for channel, window in facts.continue_within.items()}

    def agent_names(self) -> dict[str, str]:
        return {agent: name for facts in self.facts.values() for agent, name in facts.agent_names.items()}

    def template_folders(self) -> dict[str, tuple[str, ...]]:
        return {ch: tuple(folders) for facts in self.facts.values() for ch, folders in facts.template_folders.items()}


def composer(settings: Settings) -> TemplateComposer:
    return TemplateComposer(
        settings.templates_dir, settings.timezone, settings.texts, settings.reply_facts(), settings.template_folders()
    )


def _replica_notes(config: GatewayFile) -> list[str]:
    """What several gateways on one PostgreSQL need that one gateway does without."""
    web = config.channel("web")
    if config.store.backend == "postgresql" and web is not None and web.enabled and not web.csrf_secret_env:
        return [
            "[channels.web] csrf_secret_env is not set: each gateway makes its own secret at start, so with several "
            "gateways behind a load balancer a form served by one is refused by another (and a restart refuses "
            "open forms)"
        ]
    return []


def _check_secrets(
    config: GatewayFile,
    facts: Mapping[str, ChannelFacts],
    env: Mapping[str, str],
    text: str,
    path: Path,
    problems: Problems,
) -> None:
    if config.store.backend == "postgresql" and not config.store.url_env:
        problems.add(path, "store.url_env", "the postgresql backend needs url_env", locate(text, ("store",)))
    if config.http.public_url and not config.http.link_secret_env:
        reason = "public_url needs link_secret_env (the secret that signs download links)"
        problems.add(path, "http.link_secret_env", reason, locate(text, ("http",)))
    admin_password = env.get(config.admin.password_env, "")
    if admin_password and len(admin_password) < MIN_ADMIN_PASSWORD:
        reason = f"environment variable {config.admin.password_env} is shorter than {MIN_ADMIN_PASSWORD} characters"
        problems.add(path, "admin.password_env", reason, locate(text, ("admin",)))
    named = named_secrets(("store",), config.store, "url_env")
    named += named_secrets(("http",), config.http, "link_secret_env")
    named += [secret for channel in facts.values() for secret in channel.secrets]
    for loc, name in named:
        if name and not env.get(name):
            problems.add(path, ".".join(map(str, loc)), f"environment variable {name} is not set", locate(text, loc))


def load_settings(
    path: Path, env: Mapping[str, str], check_secrets: bool = True, channels: Sequence[Channel[Any]] = CHANNELS
) -> Settings:
    """Read gateway.toml, customers.toml, labels.toml and the templates; raise ConfigError with every problem found.

    A broken gateway.toml does not stop the other files from being checked: the admin sees everything at once.
    `check_secrets=False` is for commands that only read the store (they need no passwords).
    """
    problems = Problems()
    loaded = read_toml(path, problems)
    if loaded is None:
        raise ConfigError(problems.items)
    data, text = loaded
    config = validate(gateway_file_model(channels), data, path, text, problems)
    # Where the other files are and which plans exist, even when gateway.toml itself has problems.
    raw_section = data.get("gateway")
    given: dict[str, Any] = raw_section if isinstance(raw_section, dict) else {}

    def setting(name: str) -> str:
        return str(given.get(name, GatewaySection.model_fields[name].default))

    plans = list(data["plans"]) if isinstance(data.get("plans"), dict) else []
    organisations = load_organisations(
        path.parent / setting("customers"), plans, setting("default_phone_region"), problems
    )
    labels = load_labels(path.parent / setting("labels"), problems)
    templates_dir = path.parent / setting("templates")
    if config is None or not labels:
        fallback = None  # templates are still rendered (not only parsed) when the labels could be read
        if labels:
            common = {"company": setting("company"), "support_address": ""}
            words = default_texts(labels, setting("default_language"))
            fallback = TemplateComposer(templates_dir, words.hours.tz, words, common)
        check_templates(templates_dir, fallback, problems)
        raise ConfigError(problems.items)
    words = texts(config, labels)
    facts = {channel.name: channel.facts(config.channel(channel.name), words) for channel in channels}
    settings = Settings(path, config, tuple(organisations), templates_dir, words, env, tuple(channels), facts)
    notes = check_templates(templates_dir, composer(settings), problems) + _replica_notes(config)
    if check_secrets:
        _check_secrets(config, facts, env, text, path, problems)
    if problems.items:
        raise ConfigError(problems.items)
    return dataclasses.replace(settings, notes=tuple(notes))
