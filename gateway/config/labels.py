"""`config/labels.toml`: what people read for each priority, status, channel and plan, per language.

Every language the gateway answers in needs every priority (with the agreement's name, its definition and a
summary short enough for Slack's menus) and every status (as agents and as clients read it); channels and plans
are optional (a missing one is shown by its name). `texts` joins the labels with the opening hours of the
configured calendar: the one `Texts` every reply, page and console message takes its words from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, RootModel, field_validator

from adapters.labels import Labels, PriorityWords, StatusWords, Texts
from adapters.local_time import OpeningHours
from adapters.settings import Section
from gateway.config.problems import Problems, read_toml, validate
from gateway.config.settings import BusinessHours, GatewayFile, SlaSection
from ticketing.types import Priority, Status

LANGUAGES = ("es", "en")
SLACK_OPTION_LIMIT = 75  # Slack cuts an option's description at 75 characters


class PriorityEntry(Section):
    name: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    summary: str = Field(min_length=1, max_length=SLACK_OPTION_LIMIT)


class StatusEntry(Section):
    agents: str = Field(min_length=1)
    clients: str = Field(min_length=1)


class LanguageLabels(Section):
    priority: dict[Priority, PriorityEntry]
    status: dict[Status, StatusEntry]
    channel: dict[str, str] = {}
    plan: dict[str, str] = {}

    @field_validator("priority")
    @classmethod
    def _every_priority(cls, value: dict[Priority, PriorityEntry]) -> dict[Priority, PriorityEntry]:
        return _complete(value, Priority)

    @field_validator("status")
    @classmethod
    def _every_status(cls, value: dict[Status, StatusEntry]) -> dict[Status, StatusEntry]:
        return _complete(value, Status)


def _complete(value: dict[Any, Any], kind: type[Priority] | type[Status]) -> dict[Any, Any]:
    missing = [item.value for item in kind if item not in value]
    if missing:
        raise ValueError(f"labels missing for: {', '.join(missing)}")
    return value


class LabelsFile(RootModel[dict[Literal["es", "en"], LanguageLabels]]):
    @field_validator("root")
    @classmethod
    def _every_language(cls, value: dict[str, LanguageLabels]) -> dict[str, LanguageLabels]:
        missing = [language for language in LANGUAGES if language not in value]
        if missing:
            raise ValueError(f"labels missing for the language(s): {', '.join(missing)}")
        return value


def load_labels(path: Path, problems: Problems) -> dict[str, Labels]:
    """Every language's labels; {} (and the problems noted) when the file is missing or wrong."""
    loaded = read_toml(path, problems)
    if loaded is None:
        return {}
    checked = validate(LabelsFile, loaded[0], path, loaded[1], problems)
    if checked is None:
        return {}
    return {
        language: Labels(
            priorities={p.value: PriorityWords(e.name, e.definition, e.summary) for p, e in entry.priority.items()},
            statuses={s.value: StatusWords(e.agents, e.clients) for s, e in entry.status.items()},
            channels=dict(entry.channel),
            plans=dict(entry.plan),
        )
        for language, entry in checked.root.items()
    }


def default_texts(labels: dict[str, Labels], default_language: str) -> Texts:
    """The labels with the default calendar: to check the templates while gateway.toml itself has problems."""
    hours = BusinessHours()
    opening = OpeningHours(
        hours.weekday_numbers(), hours.opens, hours.closes, ZoneInfo(SlaSection.model_fields["timezone"].default)
    )
    return Texts(labels, opening, default_language if default_language in labels else "es")


def texts(config: GatewayFile, labels: dict[str, Labels]) -> Texts:
    """The labels with the opening hours of `[sla.business_hours]`, shown with the plans counted in them."""
    sla = config.sla
    hours = sla.business_hours
    opening = OpeningHours(
        hours.weekday_numbers(), hours.opens, hours.closes, ZoneInfo(sla.timezone), sla.holiday_country
    )
    business = frozenset(name for name, plan in config.plans.items() if plan.covered and plan.calendar == "business")
    return Texts(labels, opening, config.gateway.default_language, business)
