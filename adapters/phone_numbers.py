"""Phone numbers as every channel stores them: E.164 (`+573001234567`), read with Google's libphonenumber."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers


@lru_cache(maxsize=4096)  # a desk's clients write again and again: libphonenumber's parse is the costly part
def to_e164(value: str, default_region: str) -> str | None:
    """`whatsapp:+57 300 123 4567` -> `+573001234567`; None when it is not a possible phone number."""
    number = value.strip().removeprefix("whatsapp:").strip()
    if not number:
        return None
    try:
        parsed = phonenumbers.parse(number, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalised_contact(contact: str, region: str) -> str | None:
    """A contact a person typed: an email lowercased, a phone in E.164; None when it is neither."""
    text = contact.strip()
    return text.lower() if "@" in text else to_e164(text, region)
