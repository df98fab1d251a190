"""The email channel as the gateway runs it: the SMTP intake and the IMAP mailboxes take mail in, the reader turns
each committed mail into a written request, and replies leave into a Maildir or through an SMTP relay.

Large mail is read in a worker process of the channel's own (started on first use, stopped at shutdown); see
`adapters.email.reader`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.channel import ChannelContext, ChannelFacts, ChannelParts, CheckResult, SecretLookup
from adapters.connection_limit import fd_budget
from adapters.email import CHANNEL
from adapters.email.settings import EmailSettings, ImapMailboxSettings
from adapters.labels import Texts
from adapters.process_pool import ReadPool
from adapters.settings import named_secrets

if TYPE_CHECKING:
    from adapters.email.imap import ImapMailbox, ImapMailboxConfig
    from adapters.email.senders import MaildirSender, SmtpRelaySender
    from adapters.email.smtp_intake import SmtpIntake

# The inbox gives up on a read at its deadline (which cancels the call and kills its worker); the pool's own limit,
# a little later, is the backstop.
_POOL_GRACE_SECONDS = 5.0
SMTP_SHARE_OF_DESCRIPTORS = 0.25  # of what the file limit allows; HTTP takes half (gateway/runtime/supervisor.py)
TRY_IT = (
    "  python3 -c \"import smtplib; smtplib.SMTP('{host}', {port}).sendmail('sistemas@andina.com.co',"
    " ['{address}'], 'Subject: Servidor caido\\r\\n\\r\\nEl servidor de facturacion no responde.')\""
)


class MailboxReceiver:
    """An IMAP mailbox as a `Receiver`: `start` runs it in a task of its own, `stop` ends it."""

    def __init__(self, mailbox: ImapMailbox) -> None:
        self.mailbox = mailbox
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self.mailbox.run(), name=f"imap-{self.mailbox.name}")

    async def stop(self) -> None:
        self.mailbox.stop()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


def imap_config(mailbox: ImapMailboxSettings, context: ChannelContext) -> ImapMailboxConfig:
    from adapters.email.imap import ImapMailboxConfig

    return ImapMailboxConfig(
        name=mailbox.name,
        host=mailbox.host,
        port=mailbox.port,
        security=mailbox.security,
        username=context.secret(mailbox.username_env) or "",
        password=context.secret(mailbox.password_env) or "",
        folder=mailbox.folder,
        address=mailbox.address,
        after_commit=mailbox.after_commit,
        move_to=mailbox.move_to,
        idle=mailbox.idle,
        poll_seconds=mailbox.poll_seconds,
    )


def imap_receiver(box: ImapMailboxSettings, context: ChannelContext) -> MailboxReceiver:
    """One configured mailbox, read over IMAP (imapclient is loaded only by gateways that read one)."""
    from adapters.email.imap import ImapMailbox
    from adapters.lease import Lease

    lease = Lease(context.store, f"imap:{box.name}", context.replica, context.clock)
    mailbox = ImapMailbox(imap_config(box, context), context.store, context.accept, context.clock, lease=lease)
    return MailboxReceiver(mailbox)


def reply_sender(section: EmailSettings, context: ChannelContext) -> MaildirSender | SmtpRelaySender:
    """Where replies go: a Maildir folder, or the SMTP relay; either has `close()` for the gateway's stop."""
    from adapters.email.senders import MailComposer, MaildirSender, SmtpRelaySender

    domain = section.support_addresses[0].rsplit("@", 1)[1]
    out = section.outgoing
    if out.transport == "maildir":  # read by people as files: 8-bit text, not quoted-printable
        composer = MailComposer(section.from_address, domain, context.clock, "8bit")
        return MaildirSender(context.data_path(out.maildir), composer)
    return SmtpRelaySender(
        out.host,
        out.port,
        out.security,
        context.secret(out.username_env),
        context.secret(out.password_env),
        out.timeout_seconds,
        MailComposer(section.from_address, domain, context.clock),
    )


class EmailChannel:
    name = CHANNEL
    settings = EmailSettings | None
    default = None

    def facts(self, section: EmailSettings | None, texts: Texts) -> ChannelFacts:
        if section is None or not section.enabled:
            return ChannelFacts()
        where = ("channels", CHANNEL)
        secrets = []
        if section.outgoing.transport == "smtp":
            secrets += named_secrets((*where, "outgoing"), section.outgoing, "username_env", "password_env")
        for index, mailbox in enumerate(section.imap):
            secrets += named_secrets((*where, "imap", index), mailbox, "username_env", "password_env")
        return ChannelFacts(
            secrets=secrets,
            own_domains=section.domains,
            reply_facts={"support_address": section.support_addresses[0]},
            template_folders={CHANNEL: (CHANNEL,)},
        )

    async def check(
        self, section: EmailSettings | None, secret: SecretLookup, data_path: Callable[[str], Path]
    ) -> Sequence[CheckResult]:
        """`gateway doctor`: the IMAP mailboxes and the way replies leave, tried for real (`adapters.email.doctor`)."""
        if section is None or not section.enabled:
            return []
        from adapters.email.doctor import email_checks  # imapclient and aiosmtplib's clients, for the doctor only

        return await email_checks(section, secret, data_path)

    def build(self, section: EmailSettings | None, context: ChannelContext) -> ChannelParts:
        if section is None or not section.enabled:
            return ChannelParts()
        from adapters.email.reader import EmailReader, EmailReadOptions
        from adapters.email.smtp_intake import SmtpIntake, SupportMailHandler

        desk = context.desk
        pool = ReadPool(context.read_workers, context.read_timeout + _POOL_GRACE_SECONDS)
        options = EmailReadOptions.of(section, desk.ticket_prefix, desk.default_language)
        smtp = None
        if section.smtp_intake.enabled:
            handler = SupportMailHandler(frozenset(section.support_addresses), context.accept, context.clock)
            intake = section.smtp_intake
            sessions = min(intake.max_sessions, fd_budget(SMTP_SHARE_OF_DESCRIPTORS))
            smtp = SmtpIntake(
                handler, intake.host, intake.port, section.max_message_bytes, sessions, intake.idle_timeout_seconds
            )
        mailboxes = [imap_receiver(box, context) for box in section.imap]
        sender = reply_sender(section, context)

        return ChannelParts(
            readers={CHANNEL: EmailReader(options, context.normalizer, pool)},
            senders={CHANNEL: sender},
            receivers=[*([smtp] if smtp else []), *mailboxes],
            health=lambda: email_health(smtp, mailboxes, pool),
            banner=lambda _http: email_banner(section, smtp),
            closers=[pool.close, sender.close],  # the relay's sessions kept open are ended (QUIT)
        )


def email_health(smtp: SmtpIntake | None, mailboxes: Sequence[MailboxReceiver], pool: ReadPool) -> Mapping[str, Any]:
    health: dict[str, Any] = {"readers": pool.health()}
    if smtp is not None:
        host, port = smtp.address
        health |= {"smtp": f"{host}:{port}", "in_flight": smtp.handler.in_flight, "sessions": smtp.limit.report()}
    if mailboxes:
        health["imap"] = {box.mailbox.name: box.mailbox.status() for box in mailboxes}
    return health


def email_banner(section: EmailSettings, smtp: SmtpIntake | None) -> list[str]:
    if smtp is None:
        return []
    host, port = smtp.address
    out = section.outgoing
    where = f"written to {out.maildir}/new/ (one file per email)" if out.transport == "maildir" else None
    return [
        f"  SMTP:    {host}:{port} accepts mail for {', '.join(section.support_addresses)}",
        f"  Replies: {where or f'sent through {out.host}:{out.port}'}",
        "Try it from another terminal:",
        TRY_IT.format(host=host, port=port, address=section.support_addresses[0]),
        "  .venv/bin/gateway tickets list",
    ]


EMAIL = EmailChannel()
