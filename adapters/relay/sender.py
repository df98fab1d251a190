"""Sending replies to a relay bridge: one signed JSON POST to the bridge's callback URL.

The body is `{"id", "ticket", "recipient", "conversation_id", "thread_id", "text", "kind"}`: the conversation and
thread of the client's latest message on the ticket, whatever the reply (the acknowledgement, an agent's answer),
None when the client's message named none. The message id (`webhook-id` and `X-Relay-Id`) is the reply's
idempotency key, so a bridge that sees the same id twice (our retry after a lost answer) can drop the copy. It is
signed as inbound messages are (`signing.signed_headers`, both spellings) with the relay's current secret.

Answers: 2xx -> sent (the idempotency key is returned); 429 and 5xx -> TemporaryFailure (Retry-After honoured);
other statuses -> PermanentFailure naming it; no connection or a timeout -> TemporaryFailure.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

import aiohttp
import structlog

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.relay import channel_for
from adapters.relay.read import conversation_of
from adapters.relay.signing import signed_headers
from adapters.retry_after import retry_after_seconds
from ticketing.types import OutboundReply


class RelaySender:
    """A `Sender` for the "relay:<name>" channel (see the module docstring)."""

    def __init__(
        self,
        *,
        relay: str,
        callback_url: str,
        secret: str,
        session_factory: Callable[[], aiohttp.ClientSession] | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._relay = relay
        self._callback_url = callback_url
        self._secret = secret
        self._session_factory = session_factory or aiohttp.ClientSession
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._log = structlog.get_logger("adapters.relay.sender")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _conversation(self, reply: OutboundReply) -> tuple[str | None, str | None]:
        """The bridge's conversation and thread: those of the client's latest message (`reply_to`); for a reply
        queued before they were kept, the last `relay:<name>:<conversation>` thread hint in `references`."""
        conversation, thread = conversation_of(reply.reply_to)
        prefix = f"{channel_for(self._relay)}:"
        for key in (reply.thread_key, *reversed(reply.references)):
            if conversation is None and key.startswith(prefix) and len(key) > len(prefix):
                conversation = key.removeprefix(prefix)
        return conversation, thread

    def body(self, reply: OutboundReply) -> bytes:
        """The JSON posted for one reply."""
        conversation, thread = self._conversation(reply)
        payload = {
            "id": reply.idempotency_key,
            "ticket": reply.ticket_number,
            "recipient": reply.recipient,
            "conversation_id": conversation,
            "thread_id": thread,
            "text": reply.text,
            "kind": reply.kind,
        }
        return json.dumps(payload, ensure_ascii=False).encode()

    async def send(self, reply: OutboundReply) -> str | None:
        if not reply.idempotency_key:
            raise PermanentFailure("the reply has no idempotency key to use as X-Relay-Id")
        body = self.body(reply)
        headers = {
            "Content-Type": "application/json",
            **signed_headers(self._secret, reply.idempotency_key, int(time.time()), body),
        }
        if self._session is None:  # created here, inside the running event loop
            self._session = self._session_factory()
        try:
            async with self._session.post(
                self._callback_url, data=body, headers=headers, timeout=self._timeout, allow_redirects=False
            ) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
                await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            self._log.warning(
                "relay unreachable", relay=self._relay, ticket=reply.ticket_number, error=type(error).__name__
            )
            raise TemporaryFailure(f"cannot reach relay {self._relay}: {type(error).__name__}: {error}") from error
        if 200 <= status < 300:
            self._log.debug("relay reply sent", relay=self._relay, ticket=reply.ticket_number, id=reply.idempotency_key)
            return reply.idempotency_key
        reason = f"relay {self._relay} answered HTTP {status}"
        self._log.warning("relay refused", relay=self._relay, ticket=reply.ticket_number, status=status)
        if status == 429 or status >= 500:
            raise TemporaryFailure(reason, retry_after_seconds(retry_after, datetime.now(UTC)))
        raise PermanentFailure(reason)
