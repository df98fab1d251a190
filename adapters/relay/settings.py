"""A relay's settings (`[channels.relay.<name>]`, one per bridge): its shared secret (and the previous one during
a rotation) from the environment, and the callback URL replies are posted to."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from adapters.settings import Section

RelayName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class RelaySettings(Section):
    """One signed relay for another chat tool (`[channels.relay.<name>]`): a bridge posts to
    /webhooks/relay/<name>, and replies are posted to its callback URL, both signed with the shared secret."""

    enabled: bool = True
    secret_env: str
    previous_secret_env: str | None = None  # still accepted while the bridge rotates to the new secret
    callback_url: str = Field(pattern=r"^https?://[^\s]+$")
    continue_conversation_hours: float = Field(24.0, ge=0)
