"""The email channel's settings (`[channels.email]`): the support addresses, the SMTP intake, the IMAP mailboxes
read, and how replies leave (a local Maildir or an SMTP relay, whose password comes from the environment)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from adapters.settings import Port, Section


class SmtpIntakeSettings(Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: Port = 2525
    max_sessions: int = Field(100, ge=1)  # one more is answered 421 (try later); also capped by the file limit
    idle_timeout_seconds: float = Field(60.0, gt=0)  # a session silent this long is closed


class ImapMailboxSettings(Section):
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


class OutgoingMailSettings(Section):
    transport: Literal["maildir", "smtp"] = "maildir"
    maildir: str = "var/mail/sent"
    host: str = "localhost"
    port: Port = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username_env: str | None = None
    password_env: str | None = None
    timeout_seconds: float = Field(30.0, gt=0)


class EmailSettings(Section):
    enabled: bool = True
    support_addresses: list[str] = Field(min_length=1)
    from_address: str
    max_message_bytes: int = Field(26_214_400, ge=1024)
    max_attachment_bytes: int = Field(10_485_760, ge=0)
    # Our receiving MTAs, as they name themselves in Authentication-Results: a sender they authenticated (DMARC or
    # DKIM pass for the From domain) speaks for their organisation. Empty: no such header is believed.
    authserv_ids: list[str] = []
    smtp_intake: SmtpIntakeSettings = SmtpIntakeSettings()
    imap: list[ImapMailboxSettings] = []
    outgoing: OutgoingMailSettings = OutgoingMailSettings()

    @model_validator(mode="after")
    def _unique_mailbox_names(self) -> EmailSettings:
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
