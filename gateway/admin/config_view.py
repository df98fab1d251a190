"""The configuration the gateway runs on, as the admin page shows it: gateway.toml with every default filled in,
section by section, and the organisations of customers.toml, with every secret masked.

- A `*_env` setting shows the variable's name and whether it is set, never its value.
- A setting whose name says it is secret (password, token, secret, key) shows as masked.
- A URL's password is masked.
- No value of a variable a `*_env` setting names is shown, wherever it would appear; only a user name or an
  account id (`username_env`, `account_sid_env`) may appear as itself, e.g. in the support addresses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.config.loader import Settings

MASK = "•••••• (masked)"
_SECRET_NAME = re.compile(r"password|passwd|secret|token|api_?key|private", re.IGNORECASE)
_IDENTITY = re.compile(r"(username|account_sid)_env$")  # names, not secrets: shown where they appear
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]+@", re.IGNORECASE)


@dataclass(frozen=True)
class Section:
    name: str  # "http", "channels.email.outgoing"
    settings: list[tuple[str, str]]  # (key, value as shown)


@dataclass(frozen=True)
class OrganisationRow:
    id: str
    name: str
    plan: str
    contacts: str  # how its people are recognised: addresses, domains, numbers (counted)


def _secret_env_names(data: Any) -> Iterator[str]:
    """The variables the `*_env` settings name, but for those that hold a name (a user, an account id)."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            if str(key).endswith("_env") and isinstance(value, str) and value:
                if not _IDENTITY.search(str(key)):
                    yield value
            else:
                yield from _secret_env_names(value)
    elif isinstance(data, list):
        for value in data:
            yield from _secret_env_names(value)


class Masker:
    """Shows one setting's value with secrets masked."""

    def __init__(self, env: Mapping[str, str], secret_values: list[str]) -> None:
        self._env = env
        self._secrets = sorted((value for value in secret_values if len(value) >= 4), key=len, reverse=True)

    def shown(self, key: str, value: Any) -> str:
        if key.endswith("_env"):
            if not value:
                return "(none)"
            return f"{value} ({'set' if self._env.get(str(value)) else 'not set'})"
        if value is None:
            return "(not set)"
        if _SECRET_NAME.search(key) and value not in ("", [], {}):
            return MASK
        text = json.dumps(value, ensure_ascii=False)
        text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:••••••@", text)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text


def _tables(value: Any) -> list[Mapping[str, Any]] | None:
    """The tables a value holds: itself, or the items of an array of tables (IMAP mailboxes); None for a value."""
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
        return value
    return None


def _sections(data: Mapping[str, Any], name: str, masker: Masker) -> Iterator[Section]:
    plain = [
        (key, "(off)" if name == "channels" and value is None else masker.shown(key, value))  # a channel not set up
        for key, value in data.items()
        if _tables(value) is None
    ]
    yield Section(name, plain)
    for key, value in data.items():
        tables = _tables(value) or []
        for index, table in enumerate(tables, start=1):
            where = f"{name}.{key}" if name else str(key)
            yield from _sections(table, where if isinstance(value, Mapping) else f"{where}[{index}]", masker)


def effective_config(settings: Settings) -> list[Section]:
    """gateway.toml as loaded, one section per table, in the file's order, secrets masked."""
    data = settings.file.model_dump(mode="json")
    names = set(_secret_env_names(data))
    masker = Masker(settings.env, [settings.env[name] for name in names if settings.env.get(name)])
    return [section for section in _sections(data, "", masker) if section.name and section.settings]


def organisations(settings: Settings) -> list[OrganisationRow]:
    rows = []
    for org in settings.organisations:
        known = {"address": org.emails, "domain": org.domains, "number": org.phones, "chat user": org.chat_users}
        parts = [
            f"{len(items)} {kind}{'' if len(items) == 1 else 'es' if kind == 'address' else 's'}"
            for kind, items in known.items()
            if items
        ]
        rows.append(OrganisationRow(org.id, org.name, org.plan, ", ".join(parts) or "none"))
    return rows
