"""The WhatsApp channel through Twilio: the webhook sub-app, the form reader, the sender and the media download."""

from adapters.whatsapp.media import TWILIO_API_HOSTS, TWILIO_MEDIA_HOSTS, fetch_media
from adapters.whatsapp.read import WhatsAppFormError, parse_whatsapp_form
from adapters.whatsapp.sender import ApprovedTemplate, WhatsAppSender, split_text
from adapters.whatsapp.webhook import StatusUpdate, twilio_webhooks

__all__ = [
    "TWILIO_API_HOSTS",
    "TWILIO_MEDIA_HOSTS",
    "ApprovedTemplate",
    "StatusUpdate",
    "WhatsAppFormError",
    "WhatsAppSender",
    "fetch_media",
    "parse_whatsapp_form",
    "split_text",
    "twilio_webhooks",
]
