"""Slack posts carry the reply's idempotency key, so a post of unknown outcome is looked for before it is sent again.

Slack has no idempotency key on `chat.postMessage`: a gateway that dies after Slack took a post, but before the
outbox recorded it, would post it twice when the claim lapses. Every post the gateway makes therefore carries
message metadata (`event_type` "gateway_reply", `event_payload.key` = the reply's idempotency key; agents do not
see it), and before re-sending a reply of unknown outcome its sender reads the thread (`conversations.replies`) or
the channel's recent history (`conversations.history`, for a first post) with `include_all_metadata` and takes the
message with that key as sent. Reading needs the history scopes the app already has (`channels:history`,
`groups:history`, `im:history`); when Slack refuses the read for good (a scope missing, say) the reply is sent
again rather than held. Uploaded files and ephemeral prompts carry no metadata and are not looked for.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.channel import TemporaryFailure
from adapters.slack.errors import failure_for

EVENT_TYPE = "gateway_reply"
PAGE = 200  # messages per page read
PAGES = 5  # a post of unknown outcome is recent: the last 1,000 messages of its thread or channel are read


def mark(key: str) -> dict[str, Any]:
    """The `metadata` argument of a post carrying `key` (none without a key)."""
    return {"metadata": {"event_type": EVENT_TYPE, "event_payload": {"key": key}}} if key else {}


def carries(message: dict[str, Any], key: str) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return metadata.get("event_type") == EVENT_TYPE and payload.get("key") == key


async def find_post(client: AsyncWebClient, channel: str, key: str, thread_ts: str | None = None) -> str | None:
    """The ts of the message carrying `key` in the thread `thread_ts` of `channel` (or among the channel's recent
    messages), or None. Slack away or busy is a `TemporaryFailure`: the reply stays of unknown outcome."""
    if not key:
        return None
    cursor = ""
    for _ in range(PAGES):
        arguments: dict[str, Any] = {"channel": channel, "include_all_metadata": True, "limit": PAGE}
        if cursor:
            arguments["cursor"] = cursor
        try:
            if thread_ts:
                response = await client.conversations_replies(ts=thread_ts, **arguments)
            else:
                response = await client.conversations_history(**arguments)
        except SlackApiError as error:
            failure = failure_for("conversations.replies" if thread_ts else "conversations.history", error)
            if isinstance(failure, TemporaryFailure):
                raise failure from error
            return None  # cannot be read: sent again, and the send says what is wrong with the channel
        except (SlackRequestError, aiohttp.ClientError, TimeoutError, OSError) as error:
            raise TemporaryFailure(f"cannot tell whether Slack has the post already: {error}") from error
        found = [str(message["ts"]) for message in response.get("messages") or [] if carries(message, key)]
        if found:
            return found[0]
        cursor = str((response.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            return None
    return None
