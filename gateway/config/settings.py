"""The shape of `config/gateway.toml` and `config/customers.toml`, validated with pydantic.

Unknown keys are errors (a typo must not be silently ignored). Secrets never appear here: `*_env`
settings name environment variables.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ticketing.sla import parse_target
from ticketing.types import Priority

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Port = Annotated[int, Field(ge=1, le=65535)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class StoreSection(Section):
    backend: Literal["sqlite", "postgresql"] = "sqlite"
    path: str = "var/gateway.sqlite3"
    url_env: str | None = None


class HttpSection(Section):
    host: str = "127.0.0.1"
    port: Port = 8080
    # Addresses of our own reverse proxies: behind them, a visitor is known by X-Forwarded-For (for rate limits).
    trusted_proxies: list[str] = []


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
        if value is not None:
            try:
                holidays.country_holidays(value)
            except NotImplementedError:
                raise ValueError(f'the holidays package has no calendar for {value!r} (use e.g. "CO")') from None
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


class SmtpIntake(Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: Port = 2525


class ImapMailboxSection(Section):
    """One mailbox the gateway reads (`[[channels.email.imap]]`); its password comes from the environment."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    host: str
    port: Port = 993
    security: Literal["tls", "starttls", "none"] = "tls"
    username_env: str
    password_env: str
    folder: str = "INBOX"
    address: str = ""
    after_commit: Literal["seen", "move"] = "seen"
    move_to: str = "Procesados"
    idle: bool = True
    poll_seconds: float = Field(60.0, ge=1)


class OutgoingMail(Section):
    transport: Literal["maildir", "smtp"] = "maildir"
    maildir: str = "var/mail/sent"
    host: str = "localhost"
    port: Port = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username_env: str | None = None
    password_env: str | None = None
    timeout_seconds: float = Field(30.0, gt=0)


class EmailChannel(Section):
    enabled: bool = True
    support_addresses: list[str] = Field(min_length=1)
    from_address: str
    max_message_bytes: int = Field(26_214_400, ge=1024)
    max_attachment_bytes: int = Field(10_485_760, ge=0)
    smtp_intake: SmtpIntake = SmtpIntake()
    imap: list[ImapMailboxSection] = []
    outgoing: OutgoingMail = OutgoingMail()

    @model_validator(mode="after")
    def _unique_mailbox_names(self) -> EmailChannel:
        names = [mailbox.name for mailbox in self.imap]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"IMAP mailbox names must be unique: {', '.join(repeated)}")
        return self

    @field_validator("support_addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        bad = [address for address in value if address.count("@") != 1]
        if bad:
            raise ValueError(f"not an email address: {', '.join(bad)}")
        return [address.strip().lower() for address in value]

    @property
    def domains(self) -> frozenset[str]:
        return frozenset(address.rsplit("@", 1)[1] for address in self.support_addresses)


class WhatsAppChannel(Section):
    """WhatsApp through Twilio (`[channels.whatsapp]`); the account's credentials come from the environment."""

    enabled: bool = True
    from_number: str  # the WhatsApp sender, e.g. "+57 310 493 4656"
    messaging_service_sids: list[str] = []  # also accept (and send through) these Messaging Services
    account_sid_env: str = "TWILIO_ACCOUNT_SID"
    auth_token_env: str = "TWILIO_AUTH_TOKEN"
    public_base_url: str = Field(pattern=r"^https?://[^/\s]+(/[^\s]*)?$")  # what Twilio calls; signatures use it
    continue_conversation_hours: float = Field(24.0, ge=0)
    max_body_bytes: int = Field(65_536, ge=1024)
    max_media_bytes: int = Field(16_777_216, ge=1024)
    template_content_sid: str | None = Field(None, pattern=r"^HX[0-9a-fA-F]{32}$")
    template_variables: dict[str, str] = {}
    api_base_url: str | None = None  # only to point the Twilio client at a test double


class SlackChannel(Section):
    """Slack (`[channels.slack]`): the agents' console, and a channel clients may write on."""

    enabled: bool = True
    agents_channel: str = Field(pattern=r"^[CG][A-Z0-9]+$")  # the console: one thread per ticket
    bot_token_env: str = "SLACK_BOT_TOKEN"
    signing_secret_env: str = "SLACK_SIGNING_SECRET"
    team_id: str | None = Field(None, pattern=r"^T[A-Z0-9]+$")  # only this workspace may act
    oncall_group: str | None = Field(None, pattern=r"^S[A-Z0-9]+$")  # mentioned on critical tickets
    agents: dict[str, str] = {}  # Slack user id -> the agent's name
    # "direct": a thread reply goes to the client unless it starts with "nota:"/"note:"; "confirm": each reply
    # first asks its author (privately) whether to send it to the client or keep it as an internal note.
    reply_mode: Literal["direct", "confirm"] = "direct"
    api_base_url: str | None = None  # only to point the Slack client at a test double


class RelayChannel(Section):
    """One signed relay for another chat tool (`[channels.relay.<name>]`): a bridge posts to
    /webhooks/relay/<name>, and replies are posted to its callback URL, both signed with the shared secret."""

    enabled: bool = True
    secret_env: str
    previous_secret_env: str | None = None  # still accepted while the bridge rotates to the new secret
    callback_url: str = Field(pattern=r"^https?://[^\s]+$")
    continue_conversation_hours: float = Field(24.0, ge=0)


class WebChannel(Section):
    """The help-desk web form at /soporte and the ticket status page at /soporte/estado (`[channels.web]`)."""

    enabled: bool = True
    # Signs the forms' CSRF tokens; unset, a random secret is made at start (open forms expire on restart).
    csrf_secret_env: str | None = None


class Channels(Section):
    web: WebChannel | None = None
    email: EmailChannel | None = None
    whatsapp: WhatsAppChannel | None = None
    slack: SlackChannel | None = None
    relay: dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")], RelayChannel] = {}


class OutboxSection(Section):
    max_attempts: int = Field(8, ge=1)
    base_delay_seconds: float = Field(5.0, gt=0)
    max_delay_seconds: float = Field(900.0, gt=0)


class InboxSection(Section):
    max_attempts: int = Field(5, ge=1)


class GatewayFile(Section):
    """`gateway.toml` as a whole."""

    gateway: GatewaySection = GatewaySection()
    store: StoreSection = StoreSection()
    http: HttpSection = HttpSection()
    logging: LoggingSection = LoggingSection()
    sla: SlaSection
    plans: dict[str, PlanSection] = Field(min_length=1)
    channels: Channels = Channels()
    outbox: OutboxSection = OutboxSection()
    inbox: InboxSection = InboxSection()

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
