"""The shape of `config/gateway.toml` and `config/customers.toml`, validated with pydantic.

Unknown keys are errors (a typo must not be silently ignored). Secrets never appear here: `*_env`
settings name environment variables. Each channel defines its own section (`adapters/<channel>/settings.py`);
`gateway_file_model` puts them under `[channels]`, one field per channel of the tuple it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, create_model, field_validator, model_validator

from adapters.channel import Channel
from adapters.settings import Port, Section
from ticketing.country_holidays import country_entry
from ticketing.sla import parse_target
from ticketing.types import Priority

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class GatewaySection(Section):
    company: str = "TecnoLinux"
    ticket_prefix: str = Field("TL", pattern=r"^[A-Z]{1,8}$")
    default_language: Literal["es", "en"] = "es"
    default_priority: Priority = Priority.MEDIUM
    default_phone_region: str = Field("CO", pattern=r"^[A-Z]{2}$")
    unknown_sender_plan: str = "free"
    acknowledgements_per_sender_per_hour: int = Field(10, ge=0)
    customers: str = "customers.toml"
    templates: str = "templates"
    labels: str = "labels.toml"


class StoreSection(Section):
    backend: Literal["sqlite", "postgresql"] = "sqlite"
    path: str = "var/gateway.sqlite3"
    url_env: str | None = None
    # PostgreSQL: connections per gateway, how long a connection attempt and one statement may take. While the
    # server cannot be reached, webhooks answer 503 and SMTP 451 (senders retry) and /healthz is unhealthy; the
    # gateway reconnects by itself when the server is back.
    pool_size: int = Field(10, ge=1, le=200)
    connect_timeout_seconds: float = Field(5.0, gt=0)
    statement_timeout_seconds: float = Field(30.0, gt=0)


class HttpSection(Section):
    host: str = "127.0.0.1"
    port: Port = 8080
    # Addresses of our own reverse proxies: behind them, a visitor is known by X-Forwarded-For (for rate limits).
    trusted_proxies: list[str] = []
    # The gateway's address as agents' browsers reach it (through the reverse proxy). With it and a link secret,
    # a client's file too big for Slack is a download link, signed and valid `link_days`.
    public_url: str | None = Field(None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
    link_secret_env: str | None = None
    link_days: int = Field(7, ge=1, le=90)
    # Connections open at once (one more gets 503; also capped by the process's file limit); a connection that
    # sends no complete request for `idle_timeout_seconds` is closed; a request not answered within
    # `request_timeout_seconds` (a body trickling in) gets 408.
    max_connections: int = Field(500, ge=1)
    idle_timeout_seconds: float = Field(15.0, gt=0)
    request_timeout_seconds: float = Field(60.0, gt=0)


class LoggingSection(Section):
    format: Literal["console", "json"] = "console"
    level: Literal["debug", "info", "warning", "error"] = "info"


class BusinessHours(Section):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = ["mon", "tue", "wed", "thu", "fri"]
    opens: time = time(8, 0)
    closes: time = time(16, 30)

    @model_validator(mode="after")
    def _opens_before_closes(self) -> BusinessHours:
        if self.opens >= self.closes:
            raise ValueError(f"opens ({self.opens:%H:%M}) must be before closes ({self.closes:%H:%M})")
        return self

    def weekday_numbers(self) -> frozenset[int]:
        return frozenset(WEEKDAYS.index(day) for day in self.days)


class TargetPair(Section):
    response: str
    resolution: str

    @field_validator("response", "resolution")
    @classmethod
    def _valid_target(cls, value: str) -> str:
        parse_target(value)
        return value


class SlaSection(Section):
    timezone: str = "America/Bogota"
    immediate_minutes: int = Field(15, ge=1, le=240)
    holiday_country: str | None = "CO"
    extra_closed_dates: list[date] = []
    business_hours: BusinessHours = BusinessHours()
    priorities: dict[Priority, TargetPair]
    warning_at: float = Field(0.75, gt=0, lt=1)  # agents are warned when this share of a deadline's time is used
    # The agreement's 8 hours for the client to give information asked for (then one reminder), and how long after
    # the reminder a ticket still waiting closes; both on the ticket's plan calendar. After resolution, an answer
    # within `reopen_days` reopens the ticket; later it is closed and a new message opens a new ticket.
    client_hours: str = "8h"
    close_unanswered_after: str = "16h"
    reopen_days: int = Field(7, ge=0, le=365)

    @field_validator("client_hours", "close_unanswered_after")
    @classmethod
    def _a_duration(cls, value: str) -> str:
        if parse_target(value).kind != "minutes":
            raise ValueError(f"expected a duration such as '8h' or '90m', got {value!r}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as America/Bogota)") from None
        return value

    @field_validator("holiday_country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is not None and country_entry(value) is None:
            raise ValueError(f'the holidays package has no calendar for {value!r} (use e.g. "CO")')
        return value

    @field_validator("priorities")
    @classmethod
    def _all_priorities(cls, value: dict[Priority, TargetPair]) -> dict[Priority, TargetPair]:
        missing = [p.value for p in Priority if p not in value]
        if missing:
            raise ValueError(f"targets missing for: {', '.join(missing)}")
        return value


class PlanSection(Section):
    calendar: Literal["business", "always"] = "business"
    covered: bool = True


class OutboxSection(Section):
    max_attempts: int = Field(8, ge=1)
    base_delay_seconds: float = Field(5.0, gt=0)
    max_delay_seconds: float = Field(900.0, gt=0)
    concurrency: int = Field(8, ge=1, le=64)
    lease_seconds: float = Field(120.0, ge=10)


class InboxSection(Section):
    max_attempts: int = Field(5, ge=1)
    read_workers: int = Field(2, ge=1, le=32)
    read_timeout_seconds: float = Field(30.0, gt=0)
    claim_seconds: float = Field(20.0, ge=6)


class AdminSection(Section):
    """The admin pages at /admin: off until the environment variable `password_env` names holds a password (of at
    least `MIN_ADMIN_PASSWORD` characters); an admin signs in as `user` with it, for `session_hours`."""

    user: str = Field("admin", min_length=1, max_length=64)
    password_env: str = "GATEWAY_ADMIN_PASSWORD"
    session_hours: float = Field(8.0, gt=0, le=24 * 7)


MIN_ADMIN_PASSWORD = 12


class GatewayFile(Section):
    """`gateway.toml` as a whole; `channels` holds one section per channel (see `gateway_file_model`)."""

    gateway: GatewaySection = GatewaySection()
    store: StoreSection = StoreSection()
    http: HttpSection = HttpSection()
    logging: LoggingSection = LoggingSection()
    sla: SlaSection
    plans: dict[str, PlanSection] = Field(min_length=1)
    channels: Section = Section()
    outbox: OutboxSection = OutboxSection()
    inbox: InboxSection = InboxSection()
    admin: AdminSection = AdminSection()

    def channel(self, name: str) -> Any:
        """The section of the channel `name` (its default when gateway.toml has none)."""
        return getattr(self.channels, name)

    @model_validator(mode="after")
    def _unknown_sender_plan_exists(self) -> GatewayFile:
        if self.gateway.unknown_sender_plan not in self.plans:
            raise ValueError(
                f"gateway.unknown_sender_plan {self.gateway.unknown_sender_plan!r} is not one of the plans "
                f"({', '.join(self.plans)})"
            )
        return self


class CustomerEntry(Section):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    plan: str
    language: Literal["es", "en"] | None = None
    emails: list[str] = []
    domains: list[str] = []
    phones: list[str] = []
    slack_users: list[str] = []
    slack_channels: list[str] = []  # shared (Slack Connect) channels where this organisation writes to us


class CustomersFile(Section):
    """`customers.toml` as a whole."""

    organisation: list[CustomerEntry] = []


def gateway_file_model(channels: Sequence[Channel[Any]]) -> type[GatewayFile]:
    """`GatewayFile` whose `[channels]` has one section per channel, each of the channel's own type."""
    fields: dict[str, Any] = {channel.name: (channel.settings, channel.default) for channel in channels}
    sections = create_model("Channels", __base__=Section, **fields)
    return create_model("GatewayFile", __base__=GatewayFile, channels=(sections, sections()))
