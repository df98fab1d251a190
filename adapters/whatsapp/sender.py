"""Sending replies by WhatsApp through Twilio's Messages API, with the twilio package's async client.

- WhatsApp allows free-form text only within 24 hours of the client's last message on WhatsApp; outside that
  window the approved template (Content API `ContentSid` + `ContentVariables`) is sent instead, or the reply fails
  for good. When Twilio refuses free-form text with 63016 (the window closed after all), the template goes at once.
- Twilio takes at most 1,600 characters per `Body`; a longer text is split on sentence ends (then whitespace, then
  hard) and the parts are sent in order. The first part's MessageSid is returned.
- Errors: `TwilioRestException` 429 and 5xx are temporary (Retry-After honoured), other 4xx permanent with Twilio's
  code and message (63016 outside the window, 21211 invalid number); network trouble is temporary.

How the client reaches Twilio (`TwilioHttpClient`): the twilio package lets a caller pass its own HTTP client
(`Client(http_client=...)`, the "custom HTTP client" route Twilio documents); ours is a small
`AsyncTwilioHttpClient` subclass that (1) applies a request timeout (the stock one passes none to aiohttp),
(2) remembers, per asyncio task, the headers of the last response, because `TwilioRestException` does not carry
them and Retry-After lives there, and (3) when `api_base_url` is given (tests), sends every request for a
`*.twilio.com` host to that base URL instead, which covers every Twilio domain the client might use.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import structlog
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.phone_numbers import to_e164
from adapters.retry_after import retry_after_seconds
from adapters.whatsapp.media import basic_authorization
from ticketing.types import OutboundReply

BODY_LIMIT = 1600  # Twilio's limit for one message Body
OUTSIDE_WINDOW = 63016  # Twilio's error for free-form text outside WhatsApp's 24-hour window
SESSION_WINDOW = timedelta(hours=24)
SENTENCE_END = re.compile(r"(?:[.!?…]+[\"»”')\]]*(?=\s)|\n)")


class _OutsideWindow(PermanentFailure):
    """Twilio's 63016: free-form text is refused outside the window (the approved template is not)."""


@dataclass(frozen=True)
class ApprovedTemplate:
    """A WhatsApp-approved Content API template; `variables` values are filled from the reply, e.g. "{ticket}".

    Placeholders: {ticket}, {text}, {subject}, {kind}. Values are put on one line (WhatsApp refuses newlines and
    tabs in template variables)."""

    content_sid: str
    variables: Mapping[str, str]


def _fitting(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units (emoji count twice, as Twilio counts them)."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = BODY_LIMIT) -> list[str]:
    """Parts of at most `limit` units, cut after a sentence end, else at whitespace, else hard."""
    parts: list[str] = []
    rest = text.strip()
    while rest:
        fits = _fitting(rest, limit)
        if fits == len(rest):
            parts.append(rest)
            break
        # one character more than fits, so that a sentence end right at the limit sees the space after it
        ends = [end for end in (m.end() for m in SENTENCE_END.finditer(rest[: fits + 1])) if fits // 3 <= end <= fits]
        spaces = [index for index, char in enumerate(rest[: fits + 1]) if char.isspace() and index > 0]
        cut = ends[-1] if ends else spaces[-1] if spaces else fits
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return parts


class TwilioHttpClient(AsyncTwilioHttpClient):
    """The twilio package's aiohttp client with a timeout, per-task response headers and an optional origin."""

    def __init__(self, *, timeout: float, api_base_url: str | None) -> None:
        super().__init__(pool_connections=False, timeout=timeout)
        self._api_base_url = api_base_url.rstrip("/") if api_base_url else None
        self._session: aiohttp.ClientSession | None = None
        self._last_headers: ContextVar[Mapping[str, str] | None] = ContextVar(f"twilio_headers_{id(self)}")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def last_headers(self) -> Mapping[str, str]:
        """The headers of the last response this task received (empty when none)."""
        return self._last_headers.get(None) or {}

    def forget_headers(self) -> None:
        self._last_headers.set(None)

    def _target(self, url: str) -> str:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if self._api_base_url and (host == "twilio.com" or host.endswith(".twilio.com")):
            query = f"?{parts.query}" if parts.query else ""
            return f"{self._api_base_url}{parts.path}{query}"
        return url

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if self._session is None:  # created here, inside the running event loop
            self._session = aiohttp.ClientSession()
        self.session = self._session  # what the parent's request() uses
        if auth is not None:  # as a header: aiohttp deprecates its BasicAuth helper
            headers = {**(headers or {}), "Authorization": basic_authorization(*auth)}
        response: Response = await super().request(
            method,
            self._target(url),
            params=params,
            data=data,
            headers=headers,
            auth=None,
            timeout=timeout if timeout is not None else self.timeout,
            allow_redirects=allow_redirects,
        )
        self._last_headers.set(response.headers or {})
        return response


class WhatsAppSender:
    """A `Sender` for the "whatsapp" channel (see the module docstring)."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        messaging_service_sid: str | None,
        status_callback_url: str | None,
        last_client_message_at: Callable[[str], Awaitable[datetime | None]],
        clock: Callable[[], datetime],
        template: ApprovedTemplate | None = None,
        api_base_url: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._http = TwilioHttpClient(timeout=timeout, api_base_url=api_base_url)
        self._client = Client(account_sid, auth_token, http_client=self._http)
        if api_base_url:  # a fake API has no edges or regions (TWILIO_EDGE/TWILIO_REGION would rewrite hosts)
            self._client.edge = None
            self._client.region = None
        self._from = f"whatsapp:{from_number.removeprefix('whatsapp:')}"
        self._messaging_service_sid = messaging_service_sid
        self._status_callback_url = status_callback_url
        self._last_client_message_at = last_client_message_at
        self._clock = clock
        self._template = template
        self._log = structlog.get_logger("adapters.whatsapp.sender")

    async def close(self) -> None:
        await self._http.close()

    async def send(self, reply: OutboundReply) -> str | None:
        recipient = _recipient(reply.recipient)
        last = await self._last_client_message_at(recipient)
        common: dict[str, Any] = {"to": f"whatsapp:{recipient}", "from_": self._from}
        if self._messaging_service_sid:
            common["messaging_service_sid"] = self._messaging_service_sid
        if self._status_callback_url:
            common["status_callback"] = self._status_callback_url
        if last is not None and self._clock() - last < SESSION_WINDOW:
            parts = split_text(reply.text)
            if not parts:
                raise PermanentFailure("nothing to send: the reply text is empty")
            try:
                sids = [await self._create(reply, body=part, **common) for part in parts]
            except _OutsideWindow:  # WhatsApp knows better than our records: the window is closed after all
                if self._template is None:
                    raise
                self._log.info("whatsapp window closed (63016): sending the template", ticket=reply.ticket_number)
            else:
                self._log.debug("whatsapp reply sent", ticket=reply.ticket_number, sid=sids[0], parts=len(sids))
                return sids[0]
        if self._template is None:
            raise PermanentFailure("outside WhatsApp's 24-hour window and no approved template is configured")
        variables = _fill(self._template.variables, reply)
        sid = await self._create(
            reply,
            content_sid=self._template.content_sid,
            content_variables=json.dumps(variables, ensure_ascii=False),
            **common,
        )
        self._log.info("whatsapp template sent", ticket=reply.ticket_number, sid=sid)
        return sid

    async def _create(self, reply: OutboundReply, **fields: Any) -> str:
        self._http.forget_headers()
        try:
            message = await self._client.messages.create_async(**fields)
        except TwilioRestException as error:
            raise self._failure(reply, error.status, error.code, error.msg) from error
        except TwilioServiceException as error:
            raise self._failure(reply, error.status, error.code, error.detail or error.title) from error
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            self._log.warning("twilio unreachable", ticket=reply.ticket_number, error=error.__class__.__name__)
            raise TemporaryFailure(f"cannot reach Twilio: {error.__class__.__name__}: {error}") from error
        if not message.sid:
            raise TemporaryFailure("Twilio accepted the message but returned no sid")
        return str(message.sid)

    def _failure(self, reply: OutboundReply, status: int, code: int | None, text: str) -> Exception:
        reason = f"Twilio HTTP {status} error {code}: {text}"
        self._log.warning("twilio refused", ticket=reply.ticket_number, status=status, code=code)
        if code == OUTSIDE_WINDOW:
            return _OutsideWindow(reason)
        if status == 429 or status >= 500:
            retry_after = retry_after_seconds(self._http.last_headers().get("Retry-After"), self._clock())
            return TemporaryFailure(reason, retry_after)
        return PermanentFailure(reason)


def _recipient(address: str) -> str:
    number = to_e164(address, "ZZ")  # no default region: the recipient must already be in E.164
    if number is None:
        raise PermanentFailure(f"not a WhatsApp number in E.164: {address!r}")
    return number


def _fill(variables: Mapping[str, str], reply: OutboundReply) -> dict[str, str]:
    fields = {
        "ticket": reply.ticket_number,
        "text": " ".join(reply.text.split()),
        "subject": " ".join(reply.subject.split()),
        "kind": reply.kind,
    }
    try:
        return {name: string.Formatter().vformat(value, (), fields) for name, value in variables.items()}
    except (KeyError, IndexError, ValueError) as error:
        raise PermanentFailure(f"the WhatsApp template's variables use an unknown placeholder: {error}") from error
