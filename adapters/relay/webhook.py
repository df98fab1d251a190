"""The relay webhook, as an aiohttp sub-app (the gateway mounts it at `/webhooks/relay`).

`POST /{name}` — one message from the bridge named `name` (e.g. "teams"). In order:

- 404 when no relay has that name; 413 when the body is over `max_body_bytes` (checked while reading);
- 401 with a one-line reason when the signature headers (Standard Webhooks' `webhook-*`, or `X-Relay-*`) are
  missing, the timestamp is more than five minutes away from now, or the signature does not match any of the
  relay's secrets (see `signing`);
- 400 naming the field when the body is not a valid relay message or its `id` is not the message id header's;
- then the raw body is committed to the inbox as channel `relay:<name>`, and only after the commit the answer is
  200 `{"ok": true}` (`"duplicate": true` added when that id was already stored: nothing new is stored);
  503 when the store cannot commit, so the bridge retries.

Refusals store nothing. Logs carry the relay name and message id, never the body or a secret.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime

import structlog
from aiohttp import web

from adapters.relay import channel_for
from adapters.relay.read import RelayFormError, check_relay_body
from adapters.relay.signing import signature_headers, verify
from ticketing.intake import AcceptRequest, AcceptResult


class _Refused(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class _RelayWebhooks:
    def __init__(
        self,
        relays: Mapping[str, Sequence[str]],
        accept: Callable[[AcceptRequest], Awaitable[AcceptResult]],
        clock: Callable[[], datetime],
        max_body_bytes: int,
    ) -> None:
        self._relays = {name: tuple(secrets) for name, secrets in relays.items()}
        self._accept = accept
        self._clock = clock
        self._max_body_bytes = max_body_bytes
        self._log = structlog.get_logger("adapters.relay.webhook")

    async def _body(self, request: web.Request) -> bytes:
        too_big = _Refused(413, f"body larger than {self._max_body_bytes} bytes")
        if request.content_length is not None and request.content_length > self._max_body_bytes:
            raise too_big
        body = bytearray()
        async for chunk in request.content.iter_any():
            body += chunk
            if len(body) > self._max_body_bytes:
                raise too_big
        return bytes(body)

    async def _verified(self, request: web.Request, name: str) -> tuple[str, bytes]:
        """The message id and raw body, once the relay, the size, the signature and the fields are right."""
        secrets = self._relays.get(name)
        if secrets is None:
            raise _Refused(404, "unknown relay")
        raw = await self._body(request)
        message_id, timestamp, signature, id_header = signature_headers(request.headers)
        reason = verify(secrets, message_id, timestamp, raw, signature, now=self._clock().timestamp())
        if reason is not None:
            raise _Refused(401, reason)
        try:
            data = check_relay_body(raw)
        except RelayFormError as error:
            raise _Refused(400, str(error)) from error
        if str(data["id"]).strip() != message_id:
            raise _Refused(400, f"id does not match {id_header}")
        return message_id, raw

    async def message(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        try:
            message_id, raw = await self._verified(request, name)
        except _Refused as refused:
            self._log.warning("relay message refused", relay=name, status=refused.status, reason=refused.text)
            return web.Response(status=refused.status, text=refused.text)
        try:
            result = await self._accept(
                AcceptRequest(channel_for(name), message_id, raw, {"relay": name}, self._clock())
            )
        except Exception as error:  # the store is down: the bridge retries on a 5xx
            self._log.error("relay message not stored", relay=name, id=message_id, error=str(error))
            return web.Response(status=503, text="temporarily unavailable")
        self._log.info(
            "relay message accepted", relay=name, id=message_id, inbox_id=result.inbox_id, duplicate=result.duplicate
        )
        answer: dict[str, bool] = {"ok": True}
        if result.duplicate:
            answer["duplicate"] = True
        return web.json_response(answer)


def relay_webhooks(
    *,
    relays: Mapping[str, Sequence[str]],
    accept: Callable[[AcceptRequest], Awaitable[AcceptResult]],
    clock: Callable[[], datetime],
    max_body_bytes: int = 256 * 1024,
) -> web.Application:
    """The sub-app with `POST /{name}`, to mount at `/webhooks/relay`. `relays` maps a name to its secrets
    (current first, then the previous one during a rotation)."""
    hooks = _RelayWebhooks(relays, accept, clock, max_body_bytes)
    app = web.Application()
    app.router.add_post("/{name}", hooks.message)
    return app
