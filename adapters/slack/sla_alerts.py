"""The words of the SLA monitor's alerts in the agents' console, in the desk's time zone.

The client's reminder (the agreement's 8 hours passed without the information asked for) is a line in the thread
with when the ticket will close. An escalation is a line naming the new level, who escalated and why; the sender
mentions the level's Slack group (`level_groups`).

A warning is a line in the ticket's thread: which deadline, when it falls, and how long is left, in business time
for a standard plan ("hábil") or around the clock. A breach is a line in the thread that Slack also shows in the
agents' channel (`reply_broadcast`), mentioning the on-call group when one is configured and its pages allow.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from adapters.local_time import short_moment
from adapters.slack.blocks import escape

DEADLINE_NAMES = {"response": "respuesta", "resolution": "resolución"}


def minutes_text(minutes: int) -> str:
    """ "45 min", "2 h", "3 h 30 min"."""
    hours, rest = divmod(max(minutes, 0), 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def alert_text(number: str, data: Mapping[str, Any], tz: ZoneInfo) -> str:
    """The line of one `sla_warning` or `sla_breached` event (its data, as the console item carries it)."""
    if data.get("event") == "escalated":
        reason = str(data.get("reason") or "").strip()
        why = f": {escape(reason)}" if reason else " (sin motivo escrito)"
        return f":arrow_double_up: *{number}* escalado al nivel {data.get('to')} por <@{data.get('actor')}>{why}"
    if data.get("event") == "client_reminded":
        closes = short_moment(datetime.fromisoformat(str(data["closes_at"])), tz)
        return (
            f":bell: *{number}*: se le recordó al cliente la información pendiente; si no responde, el caso se "
            f"cerrará el {closes}."
        )
    deadline = DEADLINE_NAMES.get(str(data.get("which")), str(data.get("which")))
    due = short_moment(datetime.fromisoformat(str(data["due"])), tz)
    if data.get("event") == "sla_breached":
        return f":rotating_light: *{number}*: venció el plazo de *{deadline}* ({due}) sin cumplirse."
    left = minutes_text(int(data.get("left_minutes") or 0))
    clock = "" if data.get("around_the_clock") else " hábiles"
    return f":hourglass_flowing_sand: *{number}*: quedan {left}{clock} para la *{deadline}* (vence {due})."
