"""The WhatsApp channel's settings (`[channels.whatsapp]`): the Twilio sender, the public URL Twilio signs, and the
template for replies outside the 24-hour window; the account's credentials come from the environment."""

from __future__ import annotations

from pydantic import Field

from adapters.settings import Section


class WhatsAppSettings(Section):
    """WhatsApp through Twilio (`[channels.whatsapp]`); the account's credentials come from the environment."""

    enabled: bool = True
    from_number: str  # the WhatsApp sender, e.g. "+57 310 493 4656"
    messaging_service_sids: list[str] = []  # also accept (and send through) these Messaging Services
    account_sid_env: str = "TWILIO_ACCOUNT_SID"
    auth_token_env: str = "TWILIO_AUTH_TOKEN"
    public_base_url: str = Field(pattern=r"^https?://[^/\s]+(/[^\s]*)?$")  # what Twilio calls; signatures use it
    continue_conversation_hours: float = Field(24.0, ge=0)
    max_body_bytes: int = Field(65_536, ge=1024)
    max_media_bytes: int = Field(16_777_216, ge=1024)
    template_content_sid: str | None = Field(None, pattern=r"^HX[0-9a-fA-F]{32}$")
    template_variables: dict[str, str] = {}
    api_base_url: str | None = None  # only to point the Twilio client at a test double
