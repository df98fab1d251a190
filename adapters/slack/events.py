"""Slack's HTTP side as an aiohttp sub-app (the gateway mounts it at `/slack`): `POST /events` takes the Events API,
interactivity (the console's buttons and selects) and anything else the Slack app sends to its request URL.

The request goes into slack-bolt's `AsyncApp` through bolt's aiohttp adapter (`to_bolt_request` /
`to_aiohttp_response`). Bolt checks the v0 signature and the five-minute window (401, nothing stored), answers
`url_verification`, and runs our listeners. The app is built with `process_before_response=True`: the HTTP answer is
sent only when the listener has returned, so a listener commits first (`accept`) and acks after; if the commit
raises, bolt answers 500 and Slack retries the event. A retry (`X-Slack-Retry-Num`) carries the same `event_id`,
and the store deduplicates on (channel, native id), so it is committed once.

What is committed: a message in the console channel inside a thread (an agent working a ticket), an agent's deletion
or edit of such a reply (`message_deleted`, under `deleted:{channel}:{ts}` of the reply; `message_changed` with
`edited`), and a direct message to the app, under their `event_id`, as the exact body bytes; a click on a console
action (`take`, `waiting`, `escalate`, `priority`, `resolve`) on a message in the console channel, under
`action:{message_ts}:{action_id}:{action_ts}`, as the payload JSON. Clicks are taken only from members of the
console channel (`conversations.members`, cached 60 s); anyone else gets an ephemeral refusal and nothing is stored.
Everything else (bot messages, other edits and deletions, other subtypes, other workspaces, other channels) is acked
and dropped; a body that is not UTF-8 or not JSON gets 400. Given `phone_calls`, also `/ticket` (see phone_call.py).

Authorization: instead of bolt's single-team default (which calls `auth.test` on the first request and, if that
call fails, answers 200 with an apology, so Slack would not retry), `authorize` calls `auth.test` once, caches it,
and on failure raises, so bolt answers 500 and Slack retries. Bolt's own loggers are held at WARNING: at INFO bolt
logs the body of a request whose signature is wrong.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import CHANNEL
from adapters.slack.ask_modal import CALLBACK_ID as ASK_CALLBACK
from adapters.slack.ask_modal import KIND as ASK_KIND
from adapters.slack.ask_modal import ask_modal, question_errors, read_request
from adapters.slack.blocks import CONSOLE_ACTIONS
from adapters.slack.errors import slack_error_code
from adapters.slack.phone_call import PhoneCallDesk, PhoneCallListeners
from adapters.slack.read import THREAD_CHANGES, action_native_id, action_ticket_number, deletion_id
from ticketing.intake import AcceptRequest, AcceptResult

EVENTS_PATH = "/events"  # under MOUNT_PATH: the request URL of events, interactivity and slash commands
REFUSAL = "Solo el equipo de soporte puede actuar sobre los tickets."
HANDLED_SUBTYPES = frozenset({"", "thread_broadcast", "file_share"})  # and THREAD_CHANGES in the console
BOLT_LOGGER = "adapters.slack.bolt"


class SlackNotReady(Exception):
    """`auth.test` failed: bolt answers 500 and Slack retries later (nothing is acked unstored)."""


class _SlackEvents:
    def __init__(
        self,
        *,
        signing_secret: str,
        client: AsyncWebClient,
        accept: Callable[[AcceptRequest], Awaitable[AcceptResult]],
        clock: Callable[[], datetime],
        console_channel_id: str,
        team_id: str | None,
        members_ttl: float,
        client_channels: frozenset[str] = frozenset(),
    ) -> None:
        self._client_channels = client_channels
        self._client = client
        self._accept = accept
        self._clock = clock
        self._console = console_channel_id
        self._team_id = team_id
        self._members_ttl = members_ttl
        self._members: frozenset[str] = frozenset()
        self._members_at: float | None = None
        self._members_lock = asyncio.Lock()
        self._auth: AuthorizeResult | None = None
        self._log = structlog.get_logger("adapters.slack.events")
        bolt_logger = _bolt_logger()

        async def authorize() -> AuthorizeResult:  # a plain function: bolt passes a bound method's `self` again
            return await self._authorize()

        self.bolt = AsyncApp(
            client=client,
            signing_secret=signing_secret,
            process_before_response=True,
            authorize=authorize,
            logger=bolt_logger,
            name="slack-console",
        )
        self.bolt.event("message")(self._on_message)
        self.bolt.event(re.compile(".*"))(self._ack_only)
        self.bolt.action(re.compile(".*"))(self._on_action)
        self.bolt.view(ASK_CALLBACK)(self._on_question)

    async def handle(self, request: web.Request) -> web.Response:
        try:
            (await request.read()).decode("utf-8")
            bolt_request = await to_bolt_request(request)
        except (UnicodeDecodeError, ValueError) as error:  # JSONDecodeError is a ValueError
            self._log.warning("slack request unreadable", error=error.__class__.__name__)
            return web.Response(status=400, text="unreadable body")
        return await to_aiohttp_response(await self.bolt.async_dispatch(bolt_request))

    async def _authorize(self) -> AuthorizeResult:
        if self._auth is None:
            try:
                response = await self._client.auth_test()
            except SlackApiError as error:
                self._log.error("slack auth.test failed", error=slack_error_code(error))
                raise SlackNotReady("auth.test failed; Slack will retry the request") from error
            self._auth = AuthorizeResult.from_auth_test_response(
                auth_test_response=response, bot_token=self._client.token, user_token=None
            )
        return self._auth

    async def _ack_only(self, ack: AsyncAck) -> None:
        await ack()

    async def _on_message(self, ack: AsyncAck, body: dict[str, Any], request: AsyncBoltRequest) -> None:
        event: dict[str, Any] = body.get("event") or {}
        ignored = self._ignored(body, event)
        if ignored:
            self._log.debug("slack message ignored", event_id=body.get("event_id"), reason=ignored)
        else:
            native_id = str(body.get("event_id") or f"message:{event.get('channel')}:{event.get('ts')}")
            if event.get("subtype") == "message_deleted":
                native_id = deletion_id(str(event.get("channel")), str((event.get("previous_message") or {}).get("ts")))
            retry = next(iter(request.headers.get("x-slack-retry-num") or []), None)
            kind = "client_event" if event.get("channel") in self._client_channels else "event"
            await self._commit(native_id, request.raw_body.encode("utf-8"), kind, retry=retry)
        await ack()

    def _ignored(self, body: dict[str, Any], event: dict[str, Any]) -> str | None:
        """Why a message event is not committed, or None when it is."""
        if self._team_id and body.get("team_id") != self._team_id:
            return "another workspace"
        if event.get("subtype") in THREAD_CHANGES:
            return self._change_ignored(event)
        if event.get("bot_id") or event.get("subtype") == "bot_message":
            return "bot message"
        if str(event.get("subtype") or "") not in HANDLED_SUBTYPES:
            return f"subtype {event.get('subtype')}"
        if not event.get("user"):
            return "no user"
        if event.get("channel_type") == "im" or event.get("channel") in self._client_channels:
            return None
        thread_ts = event.get("thread_ts")
        if event.get("channel") == self._console and thread_ts and thread_ts != event.get("ts"):
            return None
        return "not a reply in a console thread nor a direct message"

    def _change_ignored(self, event: dict[str, Any]) -> str | None:
        """An agent deleting or editing their reply in a console thread is committed (a held reply is cancelled or
        rewritten); Slack's other changes (our own updates, unfurls, reply counts on a parent) are not."""
        before = event.get("previous_message") or {}
        after = event.get("message") or {}
        if event.get("channel") != self._console:
            return "a change outside the console"
        if not before.get("user") or before.get("bot_id") or after.get("bot_id"):
            return "a change to a message no agent wrote"
        if not before.get("thread_ts") or before.get("thread_ts") == before.get("ts"):
            return "a change to a message that is not a thread reply"
        if event.get("subtype") == "message_changed" and (
            not after.get("edited") or after.get("text") == before.get("text")
        ):
            return "not an edit of the text"
        return None

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any], request: AsyncBoltRequest) -> None:
        actions = [item for item in body.get("actions") or [] if isinstance(item, dict)]
        ours = [item for item in actions if item.get("action_id") in CONSOLE_ACTIONS]
        channel = (body.get("channel") or {}).get("id")
        user = (body.get("user") or {}).get("id")
        team = (body.get("team") or {}).get("id")
        if body.get("type") != "block_actions" or not ours or channel != self._console or not user:
            await ack()
            return
        if self._team_id and team != self._team_id:
            self._log.warning("slack action from another workspace ignored", team=team)
            await ack()
            return
        if not await self._is_member(str(user)):
            await self._refuse(str(channel), str(user))
            await ack()
            return
        if len(ours) == 1 and ours[0].get("action_id") == "ask":  # the modal first: nothing to store yet
            await self._open_question(body, ours[0])
            await ack()
            return
        raw = (parse_qs(request.raw_body).get("payload") or [json.dumps(body)])[0]
        for action in ours:
            single = raw if len(actions) == 1 else json.dumps({**body, "actions": [action]}, ensure_ascii=False)
            await self._commit(action_native_id(body, action), single.encode("utf-8"), "action")
        await ack()

    async def _open_question(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        """ "Solicitar información": the modal for the question (Slack's trigger lasts 3 seconds)."""
        number = action_ticket_number(action)
        try:
            if number is not None:
                await self._client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=ask_modal(number))
        except SlackApiError as error:
            self._log.warning("question modal not opened", ticket=number, error=slack_error_code(error))
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            self._log.warning("question modal not opened", ticket=number, error=error.__class__.__name__)

    async def _on_question(self, ack: AsyncAck, body: dict[str, Any], request: AsyncBoltRequest) -> None:
        """The question submitted: committed (kind "ask"), then sent to the client by the pipeline."""
        errors = question_errors(body.get("view") or {})
        asked = read_request(body)
        team = (body.get("team") or {}).get("id")
        if errors or asked is None:
            await ack(response_action="errors", errors=errors or {"question": "No se pudo leer la pregunta."})
            return
        if (self._team_id and team != self._team_id) or not await self._is_member(asked.user):
            self._log.warning("slack question refused", user=asked.user, team=team)
            await ack(response_action="errors", errors={"question": REFUSAL})
            return
        raw = (parse_qs(request.raw_body).get("payload") or [json.dumps(body)])[0]
        await self._commit(f"ask:{asked.view_id}", raw.encode("utf-8"), ASK_KIND)
        await ack()

    async def _commit(self, native_id: str, raw: bytes, kind: str, retry: str | None = None) -> None:
        try:
            result = await self._accept(AcceptRequest(CHANNEL, native_id, raw, {"kind": kind}, self._clock()))
        except Exception as error:  # bolt answers 500: Slack retries events, the agent sees the click failed
            self._log.error("slack payload not stored", native_id=native_id, kind=kind, error=str(error))
            raise
        log = {"native_id": native_id, "kind": kind, "inbox_id": result.inbox_id, "duplicate": result.duplicate}
        self._log.info("slack payload accepted", **log, retry=retry)

    async def _is_member(self, user: str) -> bool:
        async with self._members_lock:
            now = time.monotonic()
            if self._members_at is None or now - self._members_at >= self._members_ttl:
                try:
                    self._members = await self._fetch_members()
                except SlackApiError as error:  # bolt answers 500: the agent sees the click failed and can retry
                    self._log.error("console members unknown", error=slack_error_code(error))
                    raise
                self._members_at = now
            return user in self._members

    async def _fetch_members(self) -> frozenset[str]:
        members: set[str] = set()
        cursor: str | None = None
        while True:
            response = await self._client.conversations_members(channel=self._console, limit=1000, cursor=cursor)
            members.update(str(member) for member in response.get("members") or [])
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return frozenset(members)

    async def _refuse(self, channel: str, user: str) -> None:
        self._log.warning("slack action refused: not a console member", user=user)
        try:
            await self._client.chat_postEphemeral(channel=channel, user=user, text=REFUSAL)
        except SlackApiError as error:
            self._log.warning("ephemeral refusal not shown", user=user, error=slack_error_code(error))
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            self._log.warning("ephemeral refusal not shown", user=user, error=error.__class__.__name__)


def _bolt_logger() -> logging.Logger:
    """Bolt's base logger: WARNING and up (at INFO bolt logs the body of a badly signed request), propagating to
    the root handlers, without the construction notice that the client's token "will be ignored" (it is not:
    `_authorize` hands it back to bolt)."""
    logger = logging.Logger(BOLT_LOGGER, logging.WARNING)
    logger.parent = logging.getLogger("adapters.slack")
    # "As `installation_store` or `authorize` ... will be ignored", "As you gave `client` as well, `token` will be
    # unused": both about the token we hand back through `_authorize`, at every start.
    logger.addFilter(lambda record: "`token`" not in str(record.msg))
    return logger


def slack_events_app(
    *,
    signing_secret: str,
    client: AsyncWebClient,
    accept: Callable[[AcceptRequest], Awaitable[AcceptResult]],
    clock: Callable[[], datetime],
    console_channel_id: str,
    team_id: str | None = None,
    members_ttl: float = 60.0,
    phone_calls: PhoneCallDesk | None = None,
    client_channels: frozenset[str] = frozenset(),
) -> web.Application:
    """The sub-app with `POST /events`, to mount at `/slack`; given `phone_calls`, also `/ticket` and its modal."""
    events = _SlackEvents(
        signing_secret=signing_secret,
        client=client,
        accept=accept,
        clock=clock,
        console_channel_id=console_channel_id,
        team_id=team_id,
        members_ttl=members_ttl,
        client_channels=client_channels,
    )
    app = web.Application()
    app.router.add_post(EVENTS_PATH, events.handle)
    if phone_calls is not None:
        PhoneCallListeners(client, phone_calls, events._is_member, team_id).register(events.bolt, app)
    return app
