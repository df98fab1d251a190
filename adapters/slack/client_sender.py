"""Replies to clients who write on Slack (a direct message to the app): posted in the client's own thread."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.channel import TemporaryFailure
from adapters.slack.console import failure_for
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
        thread = thread_of(reply.thread_key)
        channel, thread_ts = thread if thread else (reply.recipient, None)
        try:
            response = await self._client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=reply.text)
        except SlackApiError as error:
            raise failure_for("chat.postMessage", error) from error
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise TemporaryFailure(f"cannot reach Slack: {type(error).__name__}: {error}") from error
        return str(response.get("ts") or "") or None
