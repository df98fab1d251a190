"""`gateway normalize FILE`: how the gateway reads one raw message, as the admin's diagnostic tool."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.email.parse import parse_email
from gateway.config_loader import Settings
from gateway.errors import CommandError
from normalizer import LanguageDetector, Normalizer


def normalize_file(settings: Settings, path: Path, channel: str, now: datetime) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror or error}") from None
    config = settings.file
    email = config.channels.email
    recipient = email.support_addresses[0] if email else ""
    limit = email.max_attachment_bytes if email else 10_000_000
    try:
        message = parse_email(raw, received_at=now, recipient=recipient, max_attachment_bytes=limit)
    except Exception as error:  # the gateway would quarantine it: say why
        raise CommandError(f"{path}: would be quarantined: {error}") from None
    normalizer = Normalizer(config.gateway.ticket_prefix, LanguageDetector(config.gateway.default_language))
    request = normalizer.normalize(message)
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
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256, "note": a.note}
            for a in message.attachments
        ],
        "body": request.body,
    }
