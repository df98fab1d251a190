"""`gateway doctor` for the Slack channel: the bot token (`auth.test`) and its scopes, and the bot's membership of
the agents' channel (and of the monthly report's). Nothing is posted; the token is never shown."""

from __future__ import annotations

from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.channel import CheckResult, SecretLookup, unset_secrets
from adapters.slack.settings import SlackSettings

SUBJECT = "Slack"
TIMEOUT_SECONDS = 15
# The bot scopes the app manifest in the README asks for.
REQUIRED_SCOPES = (
    "chat:write",
    "channels:history",
    "groups:history",
    "im:history",
    "im:write",
    "channels:read",
    "groups:read",
    "commands",
    "files:write",
)


async def slack_checks(section: SlackSettings, secret: SecretLookup) -> list[CheckResult]:
    """The token and its scopes, then each channel the bot must be in."""
    check = f"the bot token in {section.bot_token_env}"
    unset = unset_secrets(SUBJECT, check, secret, section.bot_token_env)
    if unset is not None:
        return [unset]
    token = secret(section.bot_token_env)
    options: dict[str, Any] = {"base_url": section.api_base_url} if section.api_base_url else {}
    client = AsyncWebClient(token=token, timeout=TIMEOUT_SECONDS, retry_handlers=[], **options)
    try:
        identity = await client.auth_test()
    except SlackApiError as error:
        said = f"Slack answered {error.response.get('error')}"
        return [CheckResult(SUBJECT, check, False, said, f"check {section.bot_token_env} (xoxb-…)")]
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        return [CheckResult(SUBJECT, check, False, f"cannot reach Slack: {error}", "check the network")]
    found = [CheckResult(SUBJECT, check, True, f"bot {identity.get('user')!r} in {identity.get('team')!r}")]
    granted = identity.headers.get("x-oauth-scopes") or identity.headers.get("X-OAuth-Scopes")
    if granted is not None:
        missing = [scope for scope in REQUIRED_SCOPES if scope not in {s.strip() for s in granted.split(",")}]
        detail = f"missing {', '.join(missing)}" if missing else "all it needs"
        hint = "add them under OAuth & Permissions and reinstall the app" if missing else ""
        found.append(CheckResult(SUBJECT, "the token's scopes", not missing, detail, hint))
    channels = [section.agents_channel, *([section.monthly_report_channel] if section.monthly_report_channel else [])]
    for channel in channels:
        found.append(await _member(client, channel))
    return found


async def _member(client: AsyncWebClient, channel: str) -> CheckResult:
    check = f"the bot is in {channel}"
    try:
        info = await client.conversations_info(channel=channel)
    except SlackApiError as error:
        said = f"Slack answered {error.response.get('error')}"
        return CheckResult(SUBJECT, check, False, said, "check the channel id (channel details → About)")
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        return CheckResult(SUBJECT, check, False, f"cannot reach Slack: {error}", "check the network")
    details: dict[str, Any] = info.get("channel") or {}
    name = details.get("name", channel)
    if details.get("is_member"):
        return CheckResult(SUBJECT, check, True, f"member of #{name}")
    return CheckResult(SUBJECT, check, False, f"not a member of #{name}", f"invite the bot: /invite in #{name}")
