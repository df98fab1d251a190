"""The help-desk web form's fields: reading and checking what a visitor typed, with one message per bad field.

`read_support_form` returns either a `SupportForm` or the errors by field name, in Spanish (or English when the
form's `language` is "en"). `form_payload` / `form_from_payload` are the JSON kept in the inbox for one
submission (attachments base64-encoded), so a committed submission can always be read back.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ticketing.types import Priority

LANGUAGES = ("es", "en")
PRIORITIES = tuple(priority.value for priority in Priority)  # the agreement's five, most urgent first
MAX_FILES = 3
MAX_FILE_BYTES = 5 * 1024 * 1024
LIMITS = {"name": 100, "organisation": 150, "contact": 254}
SUBJECT_LENGTH = (3, 150)
DESCRIPTION_LENGTH = (10, 5000)
PHONE_DIGITS = (7, 15)

Attachment = tuple[str, str, bytes]  # file name, content type, content

EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]{2,}$")
PHONE = re.compile(r"^\+?[\d\s\-()]+$")

MESSAGES: dict[str, dict[str, str]] = {
    "es": {
        "name_required": "Escriba su nombre.",
        "too_long": "Use como máximo {limit} caracteres.",
        "contact_required": "Escriba el correo o el número de WhatsApp donde le responderemos.",
        "contact_invalid": "Escriba un correo (nombre@empresa.com) o un teléfono de 7 a 15 dígitos.",
        "subject_length": "El asunto debe tener entre {low} y {high} caracteres.",
        "description_length": "La descripción debe tener entre {low} y {high} caracteres.",
        "priority_invalid": "Elija una de las cinco prioridades.",
        "too_many_files": "Adjunte como máximo {limit} archivos.",
        "file_too_large": "El archivo «{name}» supera los 5 MB.",
        "number_required": "Escriba el número de ticket (por ejemplo TL-000123).",
        "lookup_contact_required": "Escriba el correo o el teléfono con que registró la solicitud.",
    },
    "en": {
        "name_required": "Enter your name.",
        "too_long": "Use at most {limit} characters.",
        "contact_required": "Enter the email or WhatsApp number where we will answer you.",
        "contact_invalid": "Enter an email (name@company.com) or a phone number of 7 to 15 digits.",
        "subject_length": "The subject must be between {low} and {high} characters.",
        "description_length": "The description must be between {low} and {high} characters.",
        "priority_invalid": "Choose one of the five priorities.",
        "too_many_files": "Attach at most {limit} files.",
        "file_too_large": "The file “{name}” is larger than 5 MB.",
        "number_required": "Enter the ticket number (e.g. TL-000123).",
        "lookup_contact_required": "Enter the email or phone number you used for the request.",
    },
}


@dataclass(frozen=True)
class SupportForm:
    """One valid submission of the help-desk form (text fields stripped)."""

    name: str
    contact: str  # an email or a phone number, as typed (the glue normalises it)
    organisation: str
    subject: str
    description: str
    priority: str  # one of PRIORITIES
    language: str  # one of LANGUAGES
    attachments: tuple[Attachment, ...] = ()


def language_of(value: str | None) -> str:
    """ "en" when asked for, else Spanish (the desk's language)."""
    return "en" if (value or "").strip().lower() == "en" else "es"


def is_email(contact: str) -> bool:
    return bool(EMAIL.match(contact.strip()))


def is_phone(contact: str) -> bool:
    text = contact.strip()
    if not PHONE.match(text) or "+" in text[1:]:
        return False
    digits = sum(character.isdigit() for character in text)
    return PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]


def _length_error(value: str, bounds: tuple[int, int], key: str, texts: Mapping[str, str]) -> str | None:
    low, high = bounds
    return None if low <= len(value) <= high else texts[key].format(low=low, high=high)


def _attachment_error(attachments: Sequence[Attachment], texts: Mapping[str, str]) -> str | None:
    if len(attachments) > MAX_FILES:
        return texts["too_many_files"].format(limit=MAX_FILES)
    for name, _type, content in attachments:
        if len(content) > MAX_FILE_BYTES:
            return texts["file_too_large"].format(name=name)
    return None


def read_support_form(
    fields: Mapping[str, str], attachments: Sequence[Attachment] = ()
) -> tuple[SupportForm | None, dict[str, str]]:
    """The form, or None and one message per bad field (keys are the field names, "attachments" for files).

    A file's content longer than MAX_FILE_BYTES means "too large" (the page stops reading one byte past it)."""
    language = language_of(fields.get("language"))
    texts = MESSAGES[language]
    value = {key: (fields.get(key) or "").strip() for key in ("name", "contact", "organisation", "subject")}
    description = (fields.get("description") or "").strip()
    priority = (fields.get("priority") or "").strip().lower()
    errors: dict[str, str] = {}
    for key, limit in LIMITS.items():
        if len(value[key]) > limit:
            errors[key] = texts["too_long"].format(limit=limit)
    if not value["name"]:
        errors["name"] = texts["name_required"]
    if not value["contact"]:
        errors["contact"] = texts["contact_required"]
    elif "contact" not in errors and not (is_email(value["contact"]) or is_phone(value["contact"])):
        errors["contact"] = texts["contact_invalid"]
    checks = {
        "subject": _length_error(value["subject"], SUBJECT_LENGTH, "subject_length", texts),
        "description": _length_error(description, DESCRIPTION_LENGTH, "description_length", texts),
        "priority": None if priority in PRIORITIES else texts["priority_invalid"],
        "attachments": _attachment_error(attachments, texts),
    }
    errors.update({key: error for key, error in checks.items() if error})
    if errors:
        return None, errors
    form = SupportForm(
        value["name"],
        value["contact"],
        value["organisation"],
        value["subject"],
        description,
        priority,
        language,
        tuple(attachments),
    )
    return form, {}


def form_payload(form: SupportForm) -> bytes:
    """What the inbox keeps of one submission: the fields and the files, as UTF-8 JSON."""
    data: dict[str, Any] = {key: getattr(form, key) for key in SupportForm.__dataclass_fields__}
    data["attachments"] = [
        {"name": name, "content_type": kind, "content": base64.b64encode(content).decode("ascii")}
        for name, kind, content in form.attachments
    ]
    return json.dumps(data, ensure_ascii=False).encode()


def form_from_payload(raw: bytes) -> SupportForm:
    """The submission `form_payload` stored."""
    data = json.loads(raw)
    files = tuple(
        (str(item["name"]), str(item["content_type"]), base64.b64decode(item["content"]))
        for item in data.pop("attachments", [])
    )
    return SupportForm(**{key: str(value) for key, value in data.items()}, attachments=files)


def read_lookup_form(fields: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The status lookup's `number` and `contact` (stripped, cut to 254 characters) and the missing ones' messages."""
    texts = MESSAGES[language_of(fields.get("language"))]
    values = {key: (fields.get(key) or "").strip()[: LIMITS["contact"]] for key in ("number", "contact")}
    messages = {"number": texts["number_required"], "contact": texts["lookup_contact_required"]}
    return values, {key: message for key, message in messages.items() if not values[key]}
