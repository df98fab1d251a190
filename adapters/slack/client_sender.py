"""Replies to clients who write on Slack (a direct message to the app): posted in the client's own thread."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.channel import TemporaryFailure
from adapters.slack.errors import failure_for
from adapters.slack.sent_marks import find_post, mark
from ticketing.types import OutboundReply

ID_PREFIX = "slack:"


def message_id(channel: str, ts: str) -> str:
    """The native id of a Slack message, as tickets record it: replies in its thread point back to it."""
    return f"{ID_PREFIX}{channel}:{ts}"


def thread_of(native_id: str) -> tuple[str, str] | None:
    """(channel, ts) of a message id made by `message_id`, else None."""
    if not native_id.startswith(ID_PREFIX) or native_id.count(":") != 2:
        return None
    _, channel, ts = native_id.split(":")
    return channel, ts


class SlackClientSender:
    """The `Sender` for the "slack" channel: the acknowledgement and agent replies go to the client's thread."""

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def send(self, reply: OutboundReply) -> str | None:
        channel, thread_ts = self._where(reply)
        try:
            response = await self._client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=reply.text, **mark(reply.idempotency_key)
            )
        except SlackApiError as error:
            raise failure_for("chat.postMessage", error) from error
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise TemporaryFailure(f"cannot reach Slack: {type(error).__name__}: {error}") from error
        return str(response.get("ts") or "") or None

    async def find_sent(self, reply: OutboundReply) -> str | None:
        """The ts of the post this reply already became in the client's thread (see `sent_marks`), or None."""
        channel, thread_ts = self._where(reply)
        return await find_post(self._client, channel, reply.idempotency_key, thread_ts)

    @staticmethod
    def _where(reply: OutboundReply) -> tuple[str, str | None]:
        """(channel, thread ts) of the client's thread, or of their direct messages when there is none."""
        thread = thread_of(reply.thread_key)
        return thread if thread else (reply.recipient, None)
