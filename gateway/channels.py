"""The channels this gateway runs, in the order their lines appear when it starts. Adding a channel is one new
package under `adapters/` and one line here."""

from __future__ import annotations

from typing import Any

from adapters.channel import Channel
from adapters.email.channel import EMAIL
from adapters.relay.channel import RELAY
from adapters.slack.channel import SLACK
from adapters.web.channel import WEB
from adapters.whatsapp.channel import WHATSAPP

CHANNELS: tuple[Channel[Any], ...] = (
    WEB,
    EMAIL,
    WHATSAPP,
    SLACK,
    RELAY,
)
