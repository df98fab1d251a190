"""A relay's settings (`[channels.relay.<name>]`, one per bridge): its shared secret (and the previous one during
a rotation) from the environment, the callback URL replies are posted to, and the hosts attachments may be
fetched from."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from adapters.settings import Section

RelayName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_ENTRY = re.compile(rf"^\.?{_LABEL}(?:\.{_LABEL})*$")  # "files.example.com", or ".example.com": its subdomains


def _host_entry(value: str) -> str:
    entry = value.strip().lower()
    if not HOST_ENTRY.match(entry):
        raise ValueError(
            f"{value!r} is not a host name: write the host alone (files.example.com), "
            "or .example.com for every subdomain of example.com"
        )
    return entry


AttachmentHost = Annotated[str, AfterValidator(_host_entry)]


class RelaySettings(Section):
    """One signed relay for another chat tool (`[channels.relay.<name>]`): a bridge posts to
    /webhooks/relay/<name>, and replies are posted to its callback URL, both signed with the shared secret.
    Attachments the bridge sends as links are fetched over https from `attachment_hosts` only."""

    enabled: bool = True
    secret_env: str
    previous_secret_env: str | None = None  # still accepted while the bridge rotates to the new secret
    callback_url: str = Field(pattern=r"^https?://[^\s]+$")
    continue_conversation_hours: float = Field(24.0, ge=0)
    attachment_hosts: list[AttachmentHost] = []  # none: no attachment is fetched (each keeps a note saying why)
    max_attachment_bytes: int = Field(10_485_760, ge=0)
