"""A generic signed relay for other chat tools (Teams, Telegram, Matrix, a CRM): webhook, reader, sender."""

from adapters.relay.read import RelayFormError, check_relay_body, parse_relay_message
from adapters.relay.sender import RelaySender
from adapters.relay.signing import sign, signed_headers, verify
from adapters.relay.webhook import relay_webhooks

__all__ = [
    "RelayFormError",
    "RelaySender",
    "check_relay_body",
    "parse_relay_message",
    "relay_webhooks",
    "sign",
    "signed_headers",
    "verify",
]
