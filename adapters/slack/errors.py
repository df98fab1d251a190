"""Slack's refusals as the outbox understands them: rate limits and Slack's own trouble are temporary, anything
else (`channel_not_found`, `not_in_channel`, `invalid_auth`, `msg_too_long`, ...) is permanent and names the error."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.retry_after import retry_after_header

TEMPORARY_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})


def failure_for(method: str, error: SlackApiError) -> TemporaryFailure | PermanentFailure:
    """Slack's refusal as the outbox understands it: rate limits and server trouble are temporary."""
    response = error.response
    status = int(getattr(response, "status_code", 0) or 0)
    code = slack_error_code(error)
    if status == 429 or code in TEMPORARY_ERRORS or status >= 500:
        retry_after = retry_after_header(getattr(response, "headers", None) or {})
        return TemporaryFailure(f"Slack {code} (HTTP {status}) on {method}", retry_after)
    return PermanentFailure(f"Slack {code} (HTTP {status}) on {method}")


def slack_error_code(error: SlackApiError) -> str:
    """Slack's error code ("channel_not_found"), or the HTTP status when the body carried none."""
    response = error.response
    if response is None:
        return "no_response"
    code = response.get("error") if isinstance(response.data, dict) else None
    return str(code) if code else f"http_{getattr(response, 'status_code', 0)}"
