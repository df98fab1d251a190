"""A fake Twilio on a loopback port: the Messages API the way Twilio answers it, and media files with redirects.

`POST /2010-04-01/Accounts/{AccountSid}/Messages.json` takes the form the twilio package sends and answers 201 with
a JSON message resource ("sid": "SM" + 32 hex, "status": "queued"), after checking Basic auth like Twilio (401 with
error 20003 otherwise). `fail_next()` scripts the next N answers: 429 with Retry-After, 500, or a 4xx with Twilio's
error JSON (code, message, more_info, status). Free-form text to a number in `closed_windows` is refused with
63016, as WhatsApp refuses it outside the 24-hour window. Every request is recorded.

`GET /2010-04-01/Accounts/{AccountSid}.json` and `GET /v1/Services/{sid}` answer as Twilio does for the account
(`account_status`) and the Messaging Services in `services`. `GET` on any other path serves what `media`,
`redirects` and `statuses` say, for the media download tests; start it
with an `ssl.SSLContext` to serve https.
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import MultiDict

API_PREFIX = "/2010-04-01/Accounts/"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    host: str
    auth: tuple[str, str] | None
    form: MultiDict[str]


@dataclass
class ScriptedFailure:
    status: int
    code: int | None
    message: str
    headers: dict[str, str]


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    requests: list[RecordedRequest] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    # Numbers that have not written to us within 24 hours: free-form text to them is refused (63016), as WhatsApp does.
    closed_windows: set[str] = field(default_factory=set)
    account_status: str = "active"  # the account resource's status (`gateway doctor` reads it)
    services: dict[str, str] = field(default_factory=dict)  # Messaging Service SID -> friendly name
    port: int = field(default=0, init=False)
    scheme: str = field(default="http", init=False)
    _failures: list[ScriptedFailure] = field(default_factory=list, init=False)
    _runner: web.AppRunner | None = field(default=None, init=False)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[RecordedRequest]:
        """The Messages API calls, in order."""
        return [item for item in self.requests if item.method == "POST" and item.path.startswith(API_PREFIX)]

    def fail_next(
        self,
        count: int,
        status: int,
        *,
        code: int | None = None,
        message: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        self._failures += [ScriptedFailure(status, code, message, headers or {}) for _ in range(count)]

    async def start(self, ssl_context: ssl.SSLContext | None = None) -> FakeTwilio:
        app = web.Application()
        app.router.add_post(API_PREFIX + "{account}/Messages.json", self._create_message)
        app.router.add_get(API_PREFIX + "{account}.json", self._account)
        app.router.add_get("/v1/Services/{service}", self._service)
        app.router.add_get("/{path:.*}", self._get)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.scheme = "https" if ssl_context else "http"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _record(self, request: web.Request) -> RecordedRequest:
        form: MultiDict[str] = MultiDict()
        if request.method == "POST":
            form = MultiDict((key, str(value)) for key, value in (await request.post()).items())
        recorded = RecordedRequest(request.method, request.path, request.host, _basic_auth(request), form)
        self.requests.append(recorded)
        return recorded

    async def _create_message(self, request: web.Request) -> web.Response:
        recorded = await self._record(request)
        account = request.match_info["account"]
        if recorded.auth != (self.account_sid, self.auth_token) or account != self.account_sid:
            return _error(401, 20003, "Authenticate", {})
        if self._failures:
            failure = self._failures.pop(0)
            return _error(failure.status, failure.code, failure.message, failure.headers)
        form = recorded.form
        if form.get("Body") and form.get("To", "").removeprefix("whatsapp:") in self.closed_windows:
            message = "Failed to send freeform message because you are outside the allowed window."
            return _error(400, 63016, message, {})
        resource: dict[str, Any] = {
            "sid": "SM" + secrets.token_hex(16),
            "account_sid": account,
            "status": "queued",
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body", ""),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_segments": "1",
            "num_media": "0",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "error_code": None,
            "error_message": None,
            "uri": request.path,
        }
        return web.json_response(resource, status=201)

    async def _account(self, request: web.Request) -> web.Response:
        """The account resource, for the right credentials (`gateway doctor` reads it)."""
        recorded = await self._record(request)
        account = request.match_info["account"]
        if recorded.auth != (self.account_sid, self.auth_token) or account != self.account_sid:
            return _error(401, 20003, "Authenticate", {})
        return web.json_response({"sid": account, "friendly_name": "TecnoLinux", "status": self.account_status})

    async def _service(self, request: web.Request) -> web.Response:
        """A Messaging Service of `services` (by SID, its friendly name), else Twilio's 404."""
        recorded = await self._record(request)
        if recorded.auth != (self.account_sid, self.auth_token):
            return _error(401, 20003, "Authenticate", {})
        sid = request.match_info["service"]
        if sid not in self.services:
            return _error(404, 20404, f"The requested resource /Services/{sid} was not found", {})
        return web.json_response({"sid": sid, "friendly_name": self.services[sid], "account_sid": self.account_sid})

    async def _get(self, request: web.Request) -> web.StreamResponse:
        await self._record(request)
        path = request.path
        if path in self.statuses:
            return web.Response(status=self.statuses[path], text="scripted")
        if path in self.redirects:
            return web.Response(status=302, headers={"Location": self.redirects[path]})
        if path in self.media:
            content, content_type = self.media[path]
            return web.Response(body=content, content_type=content_type)
        return web.Response(status=404, text="not found")


def _basic_auth(request: web.Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    return user, password


def _error(status: int, code: int | None, message: str, headers: dict[str, str]) -> web.Response:
    body = {
        "code": code,
        "message": message or f"scripted failure {status}",
        "more_info": f"https://www.twilio.com/docs/errors/{code}" if code else None,
        "status": status,
    }
    return web.Response(status=status, text=json.dumps(body), content_type="application/json", headers=headers)
