"""Customer lookup: a sender's address (email, phone, chat user id) -> organisation -> plan.

Identifiers arrive already normalised (emails lowercased, phones in E.164) from the settings loader and the adapters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    plan: str
    language: str | None = None
    emails: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()
    chat_users: frozenset[str] = frozenset()


class CustomerDirectory:
    """Finds the organisation an address belongs to: exact address first, then the email's domain."""

    def __init__(self, organisations: Iterable[Organisation]) -> None:
        self._by_id: dict[str, Organisation] = {}
        self._by_address: dict[str, Organisation] = {}
        self._by_domain: dict[str, Organisation] = {}
        for org in organisations:
            self._by_id[org.id] = org
            for address in (*org.emails, *org.phones, *org.chat_users):
                self._by_address[address.lower()] = org
            for domain in org.domains:
                self._by_domain[domain.lower()] = org

    def adopt(self, other: CustomerDirectory) -> None:
        """Take `other`'s organisations (a reloaded customers.toml). Every lookup holds one reference to an index
        for its whole run, and the indexes are replaced, never edited: a lookup sees all old or all new."""
        self._by_id, self._by_address, self._by_domain = other._by_id, other._by_address, other._by_domain

    def lookup(self, address: str) -> Organisation | None:
        key = address.strip().lower()
        found = self._by_address.get(key)
        if found is None and "@" in key:
            found = self._by_domain.get(key.rsplit("@", 1)[1])
        return found

    @property
    def organisations(self) -> tuple[Organisation, ...]:
        return tuple(self._by_id.values())

    def listed(self, address: str) -> Organisation | None:
        """The organisation that lists this very address (not only its domain) in customers.toml."""
        return self._by_address.get(address.strip().lower())

    def get(self, organisation_id: str | None) -> Organisation | None:
        return self._by_id.get(organisation_id) if organisation_id else None

    def name_of(self, organisation_id: str | None) -> str | None:
        """The organisation's display name (None for no or an unknown organisation)."""
        organisation = self.get(organisation_id)
        return organisation.name if organisation else None

    def __len__(self) -> int:
        return len(self._by_id)
