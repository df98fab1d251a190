"""`SlackConsole`: the `Sender` for the outbox channel "slack_console", the agents' console in one Slack channel.

Each ticket has one parent message in the console channel; everything about the ticket happens in its thread.
- kind "console_ticket": (re)draw the parent message from the ticket snapshot the item carries (taken when the
  change committed; see `console_events`). The first time it is posted (`chat.postMessage`) and its ts is stored as
  the ticket's console thread, in a transaction of its own; afterwards the same message is updated in place
  (`chat.update`). If the parent was deleted in Slack (`message_not_found`), a new one is posted and becomes the
  thread. The only thing the sender keeps in the store is that thread (`ConsoleThreads`).
- kind "console_message": `reply.text` posted in the ticket's thread (escaped, so a client cannot mention
  `<!channel>`). Before the parent exists the reply waits: `TemporaryFailure(retry_after=2)`.
- kind "console_file": a client's file (the item's data names the stored attachment) uploaded into the thread
  (`files_upload_v2`); one over `upload_max_bytes` is a line with a signed, expiring download link served by the
  gateway when it has a public URL, else with the command that writes it out (`gateway tickets attachment`).
- kind "console_report": the monthly compliance report, an HTML file uploaded in its channel with the summary as
  comment (`gateway.workers.monthly_report`).
- kind "console_sla": the SLA monitor's warning in the thread, or its breach in the thread and the channel with the
  on-call mention (`sla_alerts`; pages rate-limited as `oncall` says).

Every post carries its item's key as message metadata; a post of unknown outcome (its replica died mid-send) is
looked for by that key before it is sent again (`find_sent`, see `sent_marks`).

Slack's answers become the outbox's two failures: HTTP 429/`ratelimited` is temporary with Slack's `Retry-After`;
5xx, `internal_error`, `fatal_error`, timeouts and connection errors are temporary; anything else
(`channel_not_found`, `not_in_channel`, `invalid_auth`, `msg_too_long`, ...) is permanent and names Slack's error.
The client is built by the caller (with `retry_handlers=[]`: the outbox owns retries); this class only uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import aiohttp
import structlog
from babel.numbers import format_decimal
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.labels import Texts
from adapters.slack.blocks import confirm_blocks, escape, ticket_blocks
from adapters.slack.console_events import FILE, PROMPT, REPORT, SLA_ALERT, SUMMARY, THREAD_LINE
from adapters.slack.errors import failure_for, slack_error_code
from adapters.slack.oncall import OncallPages
from adapters.slack.sent_marks import find_post, mark
from adapters.slack.sla_alerts import alert_text
from adapters.slack.snapshot import console_ticket
from ticketing.ports import AttachmentFiles, ConsoleThreads, UnitOfWork
from ticketing.types import OutboundReply, StoredFile

TEXT_LIMIT = 39_000  # Slack truncates a message text over 40,000 characters
PARENT_GONE = frozenset({"message_not_found"})


class ConsoleWork(ConsoleThreads, AttachmentFiles, Protocol):
    """What the console's sender keeps and reads: each ticket's thread, and the client files it posts there."""


class SlackConsole:
    """A `Sender` for the "slack_console" outbox channel (see the module docstring)."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        channel_id: str,
        store: UnitOfWork[ConsoleWork],
        tz: ZoneInfo,
        texts: Texts,
        organisation_name: Callable[[str | None], str | None],
        pages: OncallPages | None = None,
        upload_max_bytes: int = 10_485_760,
        file_link: Callable[[int], str] | None = None,
        plans: Sequence[str] = (),
        level_groups: Mapping[str, str] | None = None,
    ) -> None:
        self._level_groups = dict(level_groups or {})  # support level ("2", "3") -> its Slack group
        self._plans = tuple(plans)  # the covered plans an agent may accept a not-covered request under
        self._upload_max_bytes = upload_max_bytes
        self._file_link = file_link  # a signed, expiring download link for a file too big to upload
        self._texts = texts
        self._client = client
        self._channel_id = channel_id
        self._store = store
        self._tz = tz
        self._organisation_name = organisation_name
        self._pages = pages  # who may page the on-call group (None: nobody is paged)
        self._log = structlog.get_logger("adapters.slack.console")

    async def send(self, reply: OutboundReply) -> str | None:
        if reply.kind == SUMMARY:
            return await self._draw_ticket(reply)
        if reply.kind == THREAD_LINE:
            return await self._post_in_thread(reply)
        if reply.kind == PROMPT:
            return await self._ask(reply)
        if reply.kind == FILE:
            return await self._post_file(reply)
        if reply.kind == SLA_ALERT:
            return await self._post_alert(reply)
        if reply.kind == REPORT:
            return await self._post_report(reply)
        raise PermanentFailure(f"the Slack console does not send replies of kind {reply.kind!r}")

    async def find_sent(self, reply: OutboundReply) -> str | None:
        """Whether a post of unknown outcome is in Slack already (`sent_marks`): a line in its ticket's thread, or
        a ticket's first parent message in the channel (found, it becomes the ticket's thread). Redrawing a parent
        in place is the same however often it happens; uploads and prompts carry no mark and are sent again."""
        number = reply.ticket_number
        async with self._store.transaction() as tx:
            thread = await tx.console_thread(number)
        if reply.kind == SUMMARY and thread is None:
            channel = reply.recipient or self._channel_id
            ts = await find_post(self._client, channel, reply.idempotency_key)
            if ts:
                async with self._store.transaction() as tx:
                    await tx.set_console_thread(number, channel, ts)
            return ts
        if reply.kind in (THREAD_LINE, SLA_ALERT, FILE) and thread is not None:
            channel, thread_ts = thread
            return await find_post(self._client, channel, reply.idempotency_key, thread_ts)
        return None

    async def _draw_ticket(self, reply: OutboundReply) -> str:
        number = reply.ticket_number
        try:
            ticket = console_ticket(reply.data["ticket"], self._organisation_name)
        except (KeyError, TypeError, ValueError) as error:
            raise PermanentFailure(f"the summary of {number} carries no ticket snapshot ({error!r})") from error
        async with self._store.transaction() as tx:
            thread = await tx.console_thread(number)
        mention = await self._pages.mention_for(ticket, first_post=thread is None) if self._pages else None
        text, blocks = ticket_blocks(ticket, self._tz, mention, self._texts, self._plans)
        if thread is not None:
            channel, ts = thread
            updated = await self._call(
                number, "chat_update", parent_gone_ok=True, channel=channel, ts=ts, text=text, blocks=blocks
            )
            if updated is not None:
                self._log.info("console ticket updated", ticket=number, channel=channel, ts=ts)
                return ts
            self._log.warning("console parent message gone, posting a new one", ticket=number, ts=ts)
        channel = reply.recipient or self._channel_id
        marked = mark(reply.idempotency_key)
        response = await self._call(number, "chat_postMessage", channel=channel, text=text, blocks=blocks, **marked)
        ts, channel = str(response.get("ts") or ""), str(response.get("channel") or channel)
        if not ts:
            raise TemporaryFailure("Slack accepted the parent message but returned no ts")
        async with self._store.transaction() as tx:
            await tx.set_console_thread(number, channel, ts)
        self._log.info("console ticket posted", ticket=number, channel=channel, ts=ts)
        return ts

    async def _thread(self, number: str) -> tuple[str, str]:
        """(channel, parent ts) of the ticket's thread; the parent is posted first, so wait for it if need be."""
        async with self._store.transaction() as tx:
            thread = await tx.console_thread(number)
        if thread is None:
            raise TemporaryFailure("the ticket's parent message is not posted yet", retry_after=2)
        return thread

    async def _post_in_thread(self, reply: OutboundReply) -> str:
        text = reply.text if len(reply.text) <= TEXT_LIMIT else reply.text[:TEXT_LIMIT] + "\n… (recortado)"
        return await self._thread_line(reply, escape(text))

    async def _post_alert(self, reply: OutboundReply) -> str:
        """An SLA warning in the thread; a breach also in the channel, paging the on-call group when allowed; an
        escalation mentioning the new level's group."""
        text = alert_text(reply.ticket_number, reply.data, self._tz)
        event = reply.data.get("event")
        breach = event == "sla_breached"
        organisation = str(reply.data.get("organisation") or reply.ticket_number)
        mention = await self._pages.mention_for_breach(organisation) if breach and self._pages else None
        if event == "escalated" and str(reply.data.get("to")) in self._level_groups:
            mention = f"<!subteam^{self._level_groups[str(reply.data.get('to'))]}>"
        return await self._thread_line(reply, f"{mention} {text}" if mention else text, breach)

    async def _post_report(self, reply: OutboundReply) -> str | None:
        """The monthly report: its HTML page uploaded in the report channel, the summary line as its comment."""
        html, filename = reply.data.get("html"), str(reply.data.get("filename") or "informe-sla.html")
        if not isinstance(html, str):
            raise PermanentFailure("the monthly report carries no HTML page")
        channel = reply.recipient or self._channel_id
        await self._call(
            reply.idempotency_key,
            "files_upload_v2",
            channel=channel,
            file=html.encode("utf-8"),
            filename=filename,
            title=filename,
            initial_comment=reply.text,
        )
        self._log.info("console report posted", channel=channel, filename=filename)
        return None

    async def _thread_line(self, reply: OutboundReply, mrkdwn: str, broadcast: bool = False) -> str:
        """Post `mrkdwn` (already escaped) in the ticket's thread; `broadcast` shows it in the channel too."""
        number = reply.ticket_number
        channel, thread_ts = await self._thread(number)
        response = await self._call(
            number,
            "chat_postMessage",
            channel=channel,
            thread_ts=thread_ts,
            text=mrkdwn,
            mrkdwn=True,
            unfurl_links=False,
            unfurl_media=False,
            reply_broadcast=broadcast,
            **mark(reply.idempotency_key),
        )
        ts = str(response.get("ts") or "")
        if not ts:
            raise TemporaryFailure("Slack accepted the thread message but returned no ts")
        self._log.info("console message posted", ticket=number, channel=channel, thread_ts=thread_ts, ts=ts)
        return ts

    async def _post_file(self, reply: OutboundReply) -> str | None:
        number = reply.ticket_number
        channel, thread_ts = await self._thread(number)
        async with self._store.transaction() as tx:
            stored = await tx.attachment_file(int(reply.data.get("attachment_id") or 0))
        if stored is None or stored.content is None:
            raise PermanentFailure(f"attachment {reply.data.get('attachment_id')} of {number} has no stored content")
        if stored.size > self._upload_max_bytes:
            text, marked = self._too_big(stored), mark(reply.idempotency_key)
            response = await self._call(
                number, "chat_postMessage", channel=channel, thread_ts=thread_ts, text=text, **marked
            )
            return str(response.get("ts") or "") or None
        await self._call(
            number,
            "files_upload_v2",
            channel=channel,
            thread_ts=thread_ts,
            file=stored.content,
            filename=stored.filename,
            title=stored.filename,
        )
        self._log.info("console file posted", ticket=number, attachment_id=stored.id, size=stored.size)
        return None

    def _too_big(self, stored: StoredFile) -> str:
        """The line for a file over the upload cap: its download link, or the command that writes it out."""
        what = f":paperclip: *{escape(stored.filename)}* ({file_size(stored.size)}) es demasiado grande para Slack"
        if self._file_link is not None:
            return f"{what}: <{self._file_link(stored.id)}|descargar>"
        return f"{what}: `gateway tickets attachment {stored.ticket_number} {stored.position} > archivo`"

    async def _ask(self, reply: OutboundReply) -> str | None:
        """ "confirm" mode: ask the agent, privately in the ticket's thread, where their reply should go."""
        number = reply.ticket_number
        channel, thread_ts = await self._thread(number)
        blocks = confirm_blocks(number, reply.text, reply.thread_key)
        await self._call(
            number,
            "chat_postEphemeral",
            channel=channel,
            user=reply.recipient,
            thread_ts=thread_ts,
            text=f"¿Enviar su respuesta al cliente de {number}?",
            blocks=blocks,
        )
        return None

    async def _call(self, number: str, method: str, *, parent_gone_ok: bool = False, **arguments: Any) -> Any:
        """One Web API call; Slack's errors as TemporaryFailure / PermanentFailure (None for `message_not_found`
        when `parent_gone_ok`)."""
        try:
            return await getattr(self._client, method)(**arguments)
        except SlackApiError as error:
            if parent_gone_ok and slack_error_code(error) in PARENT_GONE:
                return None
            raise self._failure(number, method, error) from error
        except (aiohttp.ClientError, TimeoutError, OSError, SlackRequestError) as error:  # the upload step included
            self._log.warning("slack unreachable", ticket=number, method=method, error=error.__class__.__name__)
            raise TemporaryFailure(f"cannot reach Slack: {error.__class__.__name__}: {error}") from error

    def _failure(self, number: str, method: str, error: SlackApiError) -> Exception:
        self._log.warning("slack refused", ticket=number, method=method, error=slack_error_code(error))
        return failure_for(method, error)


def file_size(size: int) -> str:
    """A file's size as an agent reads it: "850 KB", "12,4 MB"."""
    if size < 1_000_000:
        return f"{format_decimal(max(1, round(size / 1000)), locale='es')} KB"
    return f"{format_decimal(round(size / 1_000_000, 1), locale='es')} MB"
