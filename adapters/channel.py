"""What a channel is to the gateway that runs it: the parts it builds, what it may use, and how a delivery fails.

Each channel is one package under `adapters/` with one `Channel` object: its name (its section under
`[channels]`), its settings section, the `facts` the core needs before anything is built (the secrets it names,
how long a chat conversation continues, the agents' console that follows the tickets), and `build`, which
returns the running parts: readers for the inbox pipeline, senders for the outbox, media fetchers, webhook
sub-apps by mount path, receivers that listen (SMTP, IMAP), health and the start banner.

Senders never retry themselves: the outbox worker owns retries, backoff, `Retry-After` and dead letters.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable
from zoneinfo import ZoneInfo

from adapters.settings import SettingPath
from ticketing.ports import (
    AttachmentFiles,
    ConsoleThreads,
    Conversations,
    InboxLookup,
    Leases,
    MailboxPositions,
    OutboxQueue,
    RateCounts,
    TicketReading,
    UnitOfWork,
)
from ticketing.types import InboxItem, IngestOutcome, OutboundReply, WrittenRequest

if TYPE_CHECKING:
    from aiohttp import web

    from adapters.labels import Texts
    from normalizer import Normalizer
    from ticketing.agent_actions import AgentActions
    from ticketing.customers import CustomerDirectory
    from ticketing.deliveries import Deliveries
    from ticketing.intake import Accept, ImmediateIntake
    from ticketing.observer import TicketObserver


class TemporaryFailure(Exception):
    """Try again later (after `retry_after` seconds when the peer said so)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """Retrying cannot help (unknown recipient, rejected content): the reply goes straight to `dead`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Sender(Protocol):
    async def send(self, reply: OutboundReply) -> str | None:
        """Deliver one reply, or raise TemporaryFailure / PermanentFailure. Returns the channel's id for the sent
        message when it has one (Twilio's MessageSid), so later delivery reports can be matched to it."""
        ...


@runtime_checkable
class FindsSent(Protocol):
    """A sender that can tell whether a reply reached the channel. The outbox asks it before sending again a reply
    of unknown outcome (the replica sending it died mid-send), so the client does not get it twice."""

    async def find_sent(self, reply: OutboundReply) -> str | None:
        """The channel's id of the message this reply already became, or None when it is not there."""
        ...


@dataclass(frozen=True)
class CheckResult:
    """One finding of `gateway doctor`: what it tried on whom, whether that worked, what it saw (never a secret),
    and what to do when it did not."""

    subject: str  # "IMAP soporte", "SMTP relay", "store"
    check: str
    ok: bool
    detail: str = ""
    hint: str = ""


SecretLookup = Callable[[str | None], str | None]


def unset_secrets(subject: str, check: str, secret: SecretLookup, *names: str | None) -> CheckResult | None:
    """The failed check naming the environment variables among `names` that are not set, or None when all are."""
    unset = [name for name in names if name and not secret(name)]
    if not unset:
        return None
    return CheckResult(subject, check, False, f"{', '.join(unset)} is not set", "set it in the gateway's environment")


@runtime_checkable
class Checkable(Protocol):
    """A channel whose peers `gateway doctor` can try for real: connect, log in, say hello; nothing is read, moved
    or sent."""

    async def check(
        self, section: Any, secret: SecretLookup, data_path: Callable[[str], Path]
    ) -> Sequence[CheckResult]: ...


class AgentCommand(Protocol):
    """What an agent did in a channel (a thread reply, a button): run instead of ingesting a client request."""

    async def run(self) -> IngestOutcome: ...


# One channel's committed raw message -> a client's written request, or an agent's command.
Reader = Callable[[InboxItem], Awaitable["WrittenRequest | AgentCommand"]]
# A link a channel sent instead of an attachment's bytes -> (content, content type).
Fetcher = Callable[[str], Awaitable[tuple[bytes, str]]]


class Receiver(Protocol):
    """Something that listens on its own (an SMTP server, an IMAP mailbox) and commits what it receives."""

    async def start(self) -> None:
        """Begin listening; returns once it does."""
        ...

    async def stop(self) -> None:
        """Stop listening and let what is being committed finish."""
        ...


class ChannelWork(
    AttachmentFiles,
    ConsoleThreads,
    Conversations,
    InboxLookup,
    Leases,
    MailboxPositions,
    OutboxQueue,
    RateCounts,
    TicketReading,
    Protocol,
):
    """Everything a channel may do in the store; each of its parts is typed against the narrow role it uses."""


@dataclass(frozen=True)
class DeskFacts:
    """What every channel may need to know of the desk it serves."""

    company: str
    ticket_prefix: str
    default_language: str
    phone_region: str  # how a phone number written without a country code is read, e.g. "CO"
    timezone: ZoneInfo
    trusted_proxies: frozenset[str] = frozenset()  # our reverse proxies, whose X-Forwarded-For is believed
    covered_plans: tuple[str, ...] = ()  # the plans the agreement covers (an agent may accept a request under one)


@dataclass(frozen=True)
class ChannelFacts:
    """What the gateway needs of a channel before anything is built, read from its settings section alone."""

    secrets: Sequence[tuple[SettingPath, str]] = ()  # the environment variables it names, with their settings
    continue_within: Mapping[str, timedelta] = field(default_factory=dict)  # chat: a message continues a ticket
    own_domains: frozenset[str] = frozenset()  # mail from these domains is our own, come back
    reply_facts: Mapping[str, str] = field(default_factory=dict)  # what reply templates may use, e.g. support_address
    # The outbox channels on which it answers clients, and the folders of their reply templates (under
    # templates/<lang>/, most specific first); a channel without templates of its own gets the chat ones.
    template_folders: Mapping[str, Sequence[str]] = field(default_factory=dict)
    agent_names: Mapping[str, str] = field(default_factory=dict)  # who an agent's id is, for people reading tickets
    observer: TicketObserver | None = None  # follows every ticket's events (the agents' console)


@dataclass(frozen=True)
class ChannelContext:
    """What a channel's `build` may use: the core, built already, and the desk's facts."""

    desk: DeskFacts
    texts: Texts
    secret: Callable[[str | None], str | None]
    data_path: Callable[[str], Path]
    clock: Callable[[], datetime]
    store: UnitOfWork[ChannelWork]
    accept: Accept
    record_now: ImmediateIntake
    agents: AgentActions
    deliveries: Deliveries
    directory: CustomerDirectory
    normalizer: Normalizer
    # A signed, expiring download link to a stored attachment (by id), served by the gateway; None without a
    # public URL (`[http] public_url`) and a link secret.
    file_link: Callable[[int], str] | None = None
    # Reading inbox items ([inbox]): how many at once (a channel's process pool has as many workers), and how long
    # one may take before the inbox quarantines it.
    read_workers: int = 2
    read_timeout: float = 30.0
    # This gateway process among the replicas on one store (the holder of its leases).
    replica: str = "gateway"


@dataclass(frozen=True)
class ChannelParts:
    """A channel's running parts, as its `build` returns them (every part optional)."""

    readers: Mapping[str, Reader] = field(default_factory=dict)  # by inbox channel
    senders: Mapping[str, Sender] = field(default_factory=dict)  # by outbox channel
    fetchers: Mapping[str, Fetcher] = field(default_factory=dict)  # by the channel of the message with the link
    webhooks: Mapping[str, web.Application] = field(default_factory=dict)  # by mount path
    receivers: Sequence[Receiver] = ()
    health: Callable[[], Mapping[str, Any]] | None = None  # shown under its name in /healthz
    banner: Callable[[str], Sequence[str]] | None = None  # given the HTTP base URL: lines `gateway run` prints
    closers: Sequence[Callable[[], Awaitable[None]]] = ()  # run at shutdown, after the workers stopped


SectionT = TypeVar("SectionT")


class Channel(Protocol[SectionT]):
    @property
    def name(self) -> str:
        """Its section under [channels], and its name in /healthz."""
        ...

    @property
    def settings(self) -> Any:
        """The section's type as gateway.toml has it, e.g. `WhatsAppSettings | None`."""
        ...

    @property
    def default(self) -> SectionT:
        """The section when gateway.toml has none (None: the channel is off)."""
        ...

    def facts(self, section: SectionT, texts: Texts) -> ChannelFacts:
        """What the gateway needs before anything is built, from the section (and the words people read)."""
        ...

    def build(self, section: SectionT, context: ChannelContext) -> ChannelParts: ...
