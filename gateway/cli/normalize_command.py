"""`gateway normalize FILE`: how the gateway reads one raw message, as the admin's diagnostic tool."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.email import CHANNEL as EMAIL
from adapters.email.reader import EmailReadOptions, parse_committed_mail
from gateway.cli.errors import CommandError
from gateway.config.loader import Settings
from gateway.runtime.bootstrap import build_normalizer


def normalize_file(settings: Settings, path: Path, channel: str, now: datetime) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        gateway = settings.file.gateway
        options = EmailReadOptions.of(settings.file.channel(EMAIL), gateway.ticket_prefix, gateway.default_language)
        message = parse_committed_mail(raw, now, {}, options)
    except Exception as error:  # the gateway would quarantine it: say why
        raise CommandError(f"{path}: would be quarantined: {error}") from None
    request = build_normalizer(settings).normalize(message)
    return {
        "native_id": message.native_id,
        "sender": message.sender_address,
        "sender_name": message.sender_name,
        "subject": message.subject,
        "language": request.language,
        "priority": request.priority.value if request.priority else None,
        "priority_reason": request.priority_reason,
        "ticket_ref": request.ticket_ref,
        "thread_hints": list(message.thread_hints),
        "auto_reply": request.auto_reply,
        "bounce": request.bounce,
        "failed_recipients": list(message.failed_recipients),
        "failure_reason": message.failure_reason or None,
        "own_message": request.own_message,
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256, "note": a.note}
            for a in message.attachments
        ],
        "body": request.body,
    }
