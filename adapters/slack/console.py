"""`SlackConsole`: the `Sender` for the outbox channel "slack_console", the agents' console in one Slack channel.

Each ticket has one parent message in the console channel; everything about the ticket happens in its thread.
- kind "console_ticket": (re)draw the parent message from the ticket snapshot the item carries (taken when the
  change committed; see `console_events`). The first time it is posted (`chat.postMessage`) and its ts is stored as
  the ticket's console thread, in a transaction of its own; afterwards the same message is updated in place
  (`chat.update`). If the parent was deleted in Slack (`message_not_found`), a new one is posted and becomes the
  thread. The only thing the sender keeps in the store is that thread (`ConsoleThreads`).
- kind "console_message": `reply.text` posted in the ticket's thread (escaped, so a client cannot mention
  `<!channel>`). Before the parent exists the reply waits: `TemporaryFailure(retry_after=2)`.

Slack's answers become the outbox's two failures: HTTP 429/`ratelimited` is temporary with Slack's `Retry-After`;
5xx, `internal_error`, `fatal_error`, timeouts and connection errors are temporary; anything else
(`channel_not_found`, `not_in_channel`, `invalid_auth`, `msg_too_long`, ...) is permanent and names Slack's error.
The client is built by the caller (with `retry_handlers=[]`: the outbox owns retries); this class only uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.labels import Texts
from adapters.retry_after import retry_after_header
from adapters.slack.blocks import confirm_blocks, escape, ticket_blocks
from adapters.slack.console_events import PROMPT, SUMMARY, THREAD_LINE
from adapters.slack.snapshot import console_ticket
from ticketing.ports import ConsoleThreads, UnitOfWork
from ticketing.types import OutboundReply

TEXT_LIMIT = 39_000  # Slack truncates a message text over 40,000 characters
TEMPORARY_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})
PARENT_GONE = frozenset({"message_not_found"})


class SlackConsole:
    """A `Sender` for the "slack_console" outbox channel (see the module docstring)."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        channel_id: str,
        store: UnitOfWork[ConsoleThreads],
        tz: ZoneInfo,
        texts: Texts,
        organisation_name: Callable[[str | None], str | None],
        oncall_mention: str | None = None,
    ) -> None:
        self._texts = texts
        self._client = client
        self._channel_id = channel_id
        self._store = store
        self._tz = tz
        self._organisation_name = organisation_name
        self._oncall_mention = oncall_mention
        self._log = structlog.get_logger("adapters.slack.console")

    async def send(self, reply: OutboundReply) -> str | None:
        if reply.kind == SUMMARY:
            return await self._draw_ticket(reply)
        if reply.kind == THREAD_LINE:
            return await self._post_in_thread(reply)
        if reply.kind == PROMPT:
            return await self._ask(reply)
        raise PermanentFailure(f"the Slack console does not send replies of kind {reply.kind!r}")

    async def _draw_ticket(self, reply: OutboundReply) -> str:
        number = reply.ticket_number
        try:
            ticket = console_ticket(reply.data["ticket"], self._organisation_name)
        except (KeyError, TypeError, ValueError) as error:
            raise PermanentFailure(f"the summary of {number} carries no ticket snapshot ({error!r})") from error
        async with self._store.transaction() as tx:
            thread = await tx.console_thread(number)
        text, blocks = ticket_blocks(ticket, self._tz, self._oncall_mention, self._texts)
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
        response = await self._call(number, "chat_postMessage", channel=channel, text=text, blocks=blocks)
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
        number = reply.ticket_number
        channel, thread_ts = await self._thread(number)
        text = reply.text if len(reply.text) <= TEXT_LIMIT else reply.text[:TEXT_LIMIT] + "\n… (recortado)"
        response = await self._call(
            number,
            "chat_postMessage",
            channel=channel,
            thread_ts=thread_ts,
            text=escape(text),
            mrkdwn=True,
            unfurl_links=False,
            unfurl_media=False,
        )
        ts = str(response.get("ts") or "")
        if not ts:
            raise TemporaryFailure("Slack accepted the thread message but returned no ts")
        self._log.info("console message posted", ticket=number, channel=channel, thread_ts=thread_ts, ts=ts)
        return ts

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
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            self._log.warning("slack unreachable", ticket=number, method=method, error=error.__class__.__name__)
            raise TemporaryFailure(f"cannot reach Slack: {error.__class__.__name__}: {error}") from error

    def _failure(self, number: str, method: str, error: SlackApiError) -> Exception:
        self._log.warning("slack refused", ticket=number, method=method, error=slack_error_code(error))
        return failure_for(method, error)


def failure_for(method: str, error: SlackApiError) -> Exception:
    """Slack's refusal as the outbox understands it: rate limits and server trouble are temporary."""
    response = error.response
    status = int(getattr(response, "status_code", 0) or 0)
    code = slack_error_code(error)
    if status == 429 or code in TEMPORARY_ERRORS or status >= 500:
        retry_after = retry_after_header(getattr(response, "headers", None) or {})
        return TemporaryFailure(f"Slack {code} (HTTP {status}) on {method}", retry_after)
    return PermanentFailure(f"Slack {code} (HTTP {status}) on {method}")


def slack_error_code(error: SlackApiError) -> str:
    """Slack's error code ("channel_not_found"), or the HTTP status when the body carried none."""
    response = error.response
    if response is None:
        return "no_response"
    code = response.get("error") if isinstance(response.data, dict) else None
    return str(code) if code else f"http_{getattr(response, 'status_code', 0)}"
