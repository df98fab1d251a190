"""The words people read for the desk's facts, one source each: the labels of `config/labels.toml` (priorities
with the agreement's definitions, statuses, channels, plans) and the opening hours of the configured calendar.

The gateway loads them once (`gateway.config.labels`) and hands the same `Texts` to the reply templates, the web
help desk, the agents' console and the phone-call form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from adapters.local_time import OpeningHours


@dataclass(frozen=True)
class PriorityWords:
    name: str  # "Alto"
    definition: str  # the agreement's definition, in full
    summary: str  # the definition in at most 75 characters


@dataclass(frozen=True)
class StatusWords:
    agents: str  # "En espera del cliente"
    clients: str  # "Esperando su respuesta"


@dataclass(frozen=True)
class Labels:
    """One language's labels; a value without a label is shown as it is."""

    priorities: Mapping[str, PriorityWords]
    statuses: Mapping[str, StatusWords]
    channels: Mapping[str, str] = field(default_factory=dict)
    plans: Mapping[str, str] = field(default_factory=dict)

    def priority(self, value: str) -> str:
        words = self.priorities.get(value)
        return words.name if words else value

    def status(self, value: str, for_clients: bool = False) -> str:
        words = self.statuses.get(value)
        if words is None:
            return value
        return words.clients if for_clients else words.agents

    def channel(self, value: str) -> str:
        """ "WhatsApp"; one of several of a kind by both names ("relay:teams": "Chat externo · teams")."""
        if value in self.channels or ":" not in value:
            return self.channels.get(value, value)
        family, name = value.split(":", 1)
        return f"{self.channels.get(family, family)} · {name}"


@dataclass(frozen=True)
class Texts:
    """Every language's labels, and the desk's opening hours (`business_plans` count them: shown with the plan)."""

    labels: Mapping[str, Labels]
    hours: OpeningHours
    default_language: str
    business_plans: frozenset[str] = frozenset()

    def __call__(self, language: str) -> Labels:
        """The labels of `language`, or of the default language when it has none."""
        return self.labels.get(language) or self.labels[self.default_language]

    def plan(self, plan: str, language: str) -> str:
        """ "Estándar (lun–vie 8:00–16:30)" for a plan counted in business hours; its label otherwise."""
        name = self(language).plans.get(plan, plan)
        return f"{name} ({self.hours.text(language, short=True)})" if plan in self.business_plans else name

    def opening_hours(self, language: str) -> str:
        return self.hours.text(language)
