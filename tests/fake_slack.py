"""A fake Slack Web API on a loopback port, answering the way Slack does, for slack_sdk's `AsyncWebClient(base_url=...)`.

`POST|GET /api/{method}` reads the arguments from the query string, a form or a JSON body (slack_sdk sends JSON to
`chat.*`, query parameters to `conversations.members`), checks the bearer token (`not_authed` / `invalid_auth`, HTTP
200 like Slack), and answers `{"ok": true, ...}` or `{"ok": false, "error": ...}`:
- `auth.test` — the bot's identity (`user_id`, `bot_id`, `team_id`), the token's `scopes` in `X-OAuth-Scopes`.
- `conversations.info` — a channel of `channels`, with `is_member` false for those in `outside`.
- `chat.postMessage` / `chat.update` — keep the channel's messages (channel, ts, thread_ts, text, blocks); unknown
  channel `channel_not_found`, unknown ts `message_not_found`, text over 40,000 `msg_too_long`, blocks breaking
  Slack's limits `invalid_blocks`.
- `chat.postEphemeral` — recorded in `ephemerals`.
- `conversations.members` — `members[channel]`, paginated by `limit`/`cursor` with `response_metadata.next_cursor`.
- `conversations.history` (the channel's messages outside threads, newest first) and `conversations.replies` (a
  thread: its parent, then the replies in order); paginated the same way; a message's `metadata` (as posted with
  `chat.postMessage`) only with `include_all_metadata`, as Slack does.
- `views.open` — the modal recorded in `views` and answered with its `id` (no trigger_id or a view breaking Slack's
  limits `invalid_arguments`; script `expired_trigger_id` with `fail_next`).
- `files.getUploadURLExternal` / `POST /upload/{file_id}` / `files.completeUploadExternal` — slack_sdk's
  `files_upload_v2`: an upload URL on this server, the bytes posted there (unauthenticated, like Slack's; `length`
  must match), and the completion that shares the file in a channel or thread, recorded in `files`.

`fail_next()` scripts the next N calls (optionally of one method): e.g. HTTP 429 `ratelimited` with `Retry-After`,
or `channel_not_found`; `delay` holds every answer back. Every call is recorded (method, arguments, Authorization header).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TEXT_LIMIT = 40_000


# What the gateway's Slack app asks for (README, "Agents work in Slack"): a token with all of them by default.
SCOPES = "chat:write,channels:history,groups:history,im:history,im:write,channels:read,groups:read,commands,files:write"


@dataclass(frozen=True)
class Call:
    method: str
    args: dict[str, Any]
    authorization: str


@dataclass
class Posted:
    channel: str
    ts: str
    thread_ts: str | None
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None = None

    def as_message(self, bot_user_id: str, bot_id: str, with_metadata: bool) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "message", "user": bot_user_id, "bot_id": bot_id, "text": self.text}
        message.update({"ts": self.ts, "thread_ts": self.thread_ts} if self.thread_ts else {"ts": self.ts})
        if with_metadata and self.metadata:
            message["metadata"] = self.metadata
        return message


@dataclass
class SharedFile:
    id: str
    title: str
    channel: str
    thread_ts: str | None
    content: bytes


@dataclass
class Failure:
    error: str
    status: int
    headers: dict[str, str]
    method: str | None


@dataclass
class FakeSlack:
    token: str = "xoxb-test"
    team_id: str = "T0TEAM"
    bot_user_id: str = "U0BOT"
    bot_id: str = "B0BOT"
    channels: set[str] = field(default_factory=lambda: {"C0CONSOLE"})
    members: dict[str, list[str]] = field(default_factory=dict)
    outside: set[str] = field(default_factory=set)  # channels of `channels` the bot is not a member of
    scopes: str = SCOPES  # the token's scopes, as Slack sends them in X-OAuth-Scopes
    delay: float = 0.0  # seconds before every answer, to make a client time out
    calls: list[Call] = field(default_factory=list)
    messages: list[Posted] = field(default_factory=list)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    views: list[dict[str, Any]] = field(default_factory=list)
    files: list[SharedFile] = field(default_factory=list)
    failing_uploads: int = 0  # the next N posts to an upload URL answer HTTP 500
    port: int = field(default=0, init=False)
    _uploads: dict[str, tuple[int, bytes | None]] = field(default_factory=dict, init=False)  # id -> (length, bytes)
    _failures: list[Failure] = field(default_factory=list, init=False)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1), init=False)
    _runner: web.AppRunner | None = field(default=None, init=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def fail_next(
        self,
        count: int,
        error: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        method: str | None = None,
    ) -> None:
        self._failures += [Failure(error, status, headers or {}, method) for _ in range(count)]

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        if isinstance(args.get("blocks"), str):
            args["blocks"] = json.loads(args["blocks"])
        authorization = request.headers.get("Authorization", "")
        self.calls.append(Call(method, args, authorization))
        if self.delay:
            await asyncio.sleep(self.delay)
        if not authorization:
            return _error("not_authed")
        if authorization != f"Bearer {self.token}":
            return _error("invalid_auth")
        for index, failure in enumerate(self._failures):
            if failure.method in (None, method):
                del self._failures[index]
                return _error(failure.error, failure.status, failure.headers)
        handler = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "conversations.members": self._members,
            "conversations.info": self._info,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "views.open": self._views_open,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }.get(method)
        if handler is None:
            return _error("unknown_method", 404)
        return handler(args)

    def _auth_test(self, args: dict[str, Any]) -> web.Response:
        identity = {"url": "https://tecnolinux.slack.com/", "team": "TecnoLinux", "user": "gateway"}
        ids = {"team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id}
        body = {"ok": True, **identity, **ids, "is_enterprise_install": False}
        return web.json_response(body, headers={"X-OAuth-Scopes": self.scopes})

    def _info(self, args: dict[str, Any]) -> web.Response:
        channel = str(args.get("channel"))
        if channel not in self.channels:
            return _error("channel_not_found")
        return _ok(channel={"id": channel, "name": channel.lower(), "is_member": channel not in self.outside})

    def _next_ts(self) -> str:
        return f"1764511200.{next(self._ts):06d}"

    def _content_problem(self, args: dict[str, Any]) -> str | None:
        if args.get("channel") not in self.channels:
            return "channel_not_found"
        if not args.get("text") and not args.get("blocks"):
            return "no_text"
        if len(str(args.get("text") or "")) > TEXT_LIMIT:
            return "msg_too_long"
        if block_problems(args.get("blocks") or []):
            return "invalid_blocks"
        return None

    def _post_message(self, args: dict[str, Any]) -> web.Response:
        problem = self._content_problem(args)
        if problem:
            return _error(problem)
        thread_ts = args.get("thread_ts") or None
        metadata = json.loads(args["metadata"]) if isinstance(args.get("metadata"), str) else args.get("metadata")
        text, blocks = str(args.get("text") or ""), args.get("blocks") or []
        posted = Posted(args["channel"], self._next_ts(), thread_ts, text, blocks, metadata)
        self.messages.append(posted)
        message = posted.as_message(self.bot_user_id, self.bot_id, with_metadata=True)
        return _ok(channel=posted.channel, ts=posted.ts, message=message)

    def _update(self, args: dict[str, Any]) -> web.Response:
        problem = self._content_problem(args)
        if problem:
            return _error(problem)
        found = [item for item in self.messages if (item.channel, item.ts) == (args["channel"], args.get("ts"))]
        if not found:
            return _error("message_not_found")
        found[0].text, found[0].blocks = str(args.get("text") or ""), args.get("blocks") or []
        return _ok(channel=found[0].channel, ts=found[0].ts, text=found[0].text)

    def _post_ephemeral(self, args: dict[str, Any]) -> web.Response:
        if args.get("channel") not in self.channels:
            return _error("channel_not_found")
        if not args.get("user"):
            return _error("user_not_found")
        self.ephemerals.append(args)
        return _ok(message_ts=self._next_ts())

    def _members(self, args: dict[str, Any]) -> web.Response:
        channel = args.get("channel")
        if channel not in self.channels:
            return _error("channel_not_found")
        page, next_cursor = _page(self.members.get(str(channel), []), args)
        return _ok(members=page, response_metadata={"next_cursor": next_cursor})

    def _history(self, args: dict[str, Any]) -> web.Response:
        channel = args.get("channel")
        if channel not in self.channels:
            return _error("channel_not_found")
        outside = [item for item in reversed(self.messages) if item.channel == channel and not item.thread_ts]
        return self._messages_page(outside, args)

    def _replies(self, args: dict[str, Any]) -> web.Response:
        channel, ts = args.get("channel"), args.get("ts")
        if channel not in self.channels:
            return _error("channel_not_found")
        parent = [item for item in self.messages if (item.channel, item.ts) == (channel, ts)]
        if not parent:
            return _error("thread_not_found")
        thread = parent + [item for item in self.messages if item.channel == channel and item.thread_ts == ts]
        return self._messages_page(thread, args)

    def _messages_page(self, messages: list[Posted], args: dict[str, Any]) -> web.Response:
        with_metadata = str(args.get("include_all_metadata")).lower() in ("1", "true")
        page, next_cursor = _page(messages, args)
        found = [item.as_message(self.bot_user_id, self.bot_id, with_metadata) for item in page]
        return _ok(messages=found, has_more=bool(next_cursor), response_metadata={"next_cursor": next_cursor})

    def _views_open(self, args: dict[str, Any]) -> web.Response:
        view = json.loads(args["view"]) if isinstance(args.get("view"), str) else args.get("view")
        if not args.get("trigger_id") or not isinstance(view, dict) or view_problems(view):
            return _error("invalid_arguments")
        self.views.append(view)
        opened = {"id": f"V0VIEW{len(self.views):04d}", "team_id": self.team_id, "state": {"values": {}}, **view}
        return _ok(view=opened)

    def _upload_url(self, args: dict[str, Any]) -> web.Response:
        length = int(args.get("length") or 0)
        if not args.get("filename") or length <= 0:
            return _error("invalid_arguments")
        file_id = f"F{len(self._uploads) + 1:08d}"
        self._uploads[file_id] = (length, None)
        return _ok(upload_url=f"{self.base_url}/upload/{file_id}", file_id=file_id)

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        content = await request.read()
        if self.failing_uploads:
            self.failing_uploads -= 1
            return web.Response(status=500, text="upload failed")
        if file_id not in self._uploads or self._uploads[file_id][0] != len(content):
            return web.Response(status=400, text="bad upload")
        self._uploads[file_id] = (len(content), content)
        return web.Response(text=f"OK - {len(content)}")

    def _complete_upload(self, args: dict[str, Any]) -> web.Response:
        files = json.loads(str(args.get("files") or "[]"))
        channel = str(args.get("channel_id") or "")
        if channel not in self.channels:
            return _error("channel_not_found")
        uploaded = [(item, self._uploads.get(str(item.get("id")), (0, None))[1]) for item in files]
        if not files or any(content is None for _, content in uploaded):
            return _error("file_not_found")
        thread_ts = str(args.get("thread_ts") or "") or None
        for item, content in uploaded:
            assert content is not None
            self.files.append(SharedFile(str(item["id"]), str(item.get("title") or ""), channel, thread_ts, content))
        return _ok(files=[{"id": item["id"], "title": item.get("title") or ""} for item in files])


def view_problems(view: dict[str, Any]) -> list[str]:
    """What Slack would refuse in a modal (a subset: title/submit/close up to 24, 100 blocks, inputs, options)."""
    blocks = view.get("blocks") or []
    problems = [problem for problem in block_problems(blocks) if problem != "more than 50 blocks"]
    if view.get("type") != "modal" or "title" not in view or len(blocks) > 100:
        problems.append("not a modal, no title or over 100 blocks")
    if any(len(view[key]["text"]) > 24 for key in ("title", "submit", "close") if key in view):
        problems.append("title, submit or close over 24")
    for block in (block for block in blocks if block.get("type") == "input"):
        element, options = block["element"], block["element"].get("options", [])
        if len(block["label"]["text"]) > 2000 or element.get("max_length", 0) > 3000 or len(options) > 100:
            problems.append("input label over 2000, max_length over 3000 or options over 100")
        if any(len(option[key]["text"]) > 75 for option in options for key in ("text", "description") if key in option):
            problems.append("option text or description over 75")
    return problems


def block_problems(blocks: list[dict[str, Any]]) -> list[str]:
    """What Slack would refuse in these blocks (a subset of its limits: counts, lengths, unique ids, options)."""
    problems: list[str] = []
    if len(blocks) > 50:
        problems.append("more than 50 blocks")
    block_ids = [block["block_id"] for block in blocks if "block_id" in block]
    if len(block_ids) != len(set(block_ids)) or any(len(block_id) > 255 for block_id in block_ids):
        problems.append("block_id repeated or over 255")
    for block in blocks:
        kind = block.get("type")
        if kind == "header" and len(block["text"]["text"]) > 150:
            problems.append("header over 150")
        if kind == "section":
            if "text" in block and len(block["text"]["text"]) > 3000:
                problems.append("section text over 3000")
            fields = block.get("fields", [])
            if len(fields) > 10 or any(len(item["text"]) > 2000 for item in fields):
                problems.append("section fields over 10 or over 2000")
        if kind == "actions":
            elements = block["elements"]
            action_ids = [element["action_id"] for element in elements]
            if len(elements) > 25 or len(action_ids) != len(set(action_ids)):
                problems.append("actions over 25 or action_id repeated")
            for element in elements:
                if element.get("value") is not None and len(element["value"]) > 2000:
                    problems.append("value over 2000")
                if element["type"] == "static_select":
                    options = element["options"]
                    if len(options) > 100 or element.get("initial_option", options[0]) not in options:
                        problems.append("select options over 100 or initial_option not among them")
    return problems


def _page(items: list[Any], args: dict[str, Any]) -> tuple[list[Any], str]:
    """One page of `items` by the request's `cursor` (an offset here) and `limit`, and the next page's cursor."""
    start, limit = int(args.get("cursor") or 0), int(args.get("limit") or 100)
    return items[start : start + limit], str(start + limit) if start + limit < len(items) else ""


def _ok(**fields: Any) -> web.Response:
    return web.json_response({"ok": True, **fields})


def _error(error: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status, headers=headers)
