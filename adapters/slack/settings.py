"""The Slack channel's settings (`[channels.slack]`): the agents' console channel, the workspace, the agents and
how their thread replies reach clients; the bot token and the signing secret come from the environment."""

from __future__ import annotations

import re
from datetime import time
from typing import Literal

from pydantic import Field, field_validator

from adapters.settings import Section


class SlackSettings(Section):
    """Slack (`[channels.slack]`): the agents' console, and a channel clients may write on."""

    enabled: bool = True
    agents_channel: str = Field(pattern=r"^[CG][A-Z0-9]+$")  # the console: one thread per ticket
    bot_token_env: str = "SLACK_BOT_TOKEN"
    signing_secret_env: str = "SLACK_SIGNING_SECRET"
    team_id: str | None = Field(None, pattern=r"^T[A-Z0-9]+$")  # only this workspace may act
    oncall_group: str | None = Field(None, pattern=r"^S[A-Z0-9]+$")  # mentioned on critical tickets
    # Pages (a critical ticket's mention of the on-call group) at most this often; a not-covered ticket never pages.
    oncall_pages_per_hour: int = Field(10, ge=1)
    oncall_pages_per_organisation_per_hour: int = Field(3, ge=1)
    # The monthly compliance report (HTML) is posted in this channel on the 1st at `monthly_report_at`, desk time.
    monthly_report_channel: str | None = Field(None, pattern=r"^[CG][A-Z0-9]+$")
    monthly_report_at: time = time(8)
    # The Slack group (S...) of each support level above the first, mentioned when a ticket is escalated to it.
    level_groups: dict[str, str] = {}

    @field_validator("level_groups")
    @classmethod
    def _group_ids(cls, value: dict[str, str]) -> dict[str, str]:
        for level, group in value.items():
            if level not in ("2", "3"):
                raise ValueError(f'level {level!r}: groups are for levels "2" and "3" (the first is everyone)')
            if not re.fullmatch(r"S[A-Z0-9]+", group):
                raise ValueError(f"level {level}: {group!r} is not a Slack user group id (S...)")
        return value

    agents: dict[str, str] = {}  # Slack user id -> the agent's name
    # "confirm": each thread reply first asks its author (privately) whether to send it to the client or keep it
    # as an internal note. "direct": a thread reply goes to the client unless it starts with "nota:"/"note:",
    # after `reply_grace_seconds` during which deleting it in Slack cancels it and editing it changes it.
    reply_mode: Literal["direct", "confirm"] = "confirm"
    reply_grace_seconds: int = Field(30, ge=0, le=600)
    # A client's file up to this size is uploaded into the ticket's thread (the bot needs files:write); a larger
    # one is a download link (with `[http] public_url`) or the command that writes it out.
    upload_max_bytes: int = Field(10_485_760, ge=0)
    api_base_url: str | None = None  # only to point the Slack client at a test double
