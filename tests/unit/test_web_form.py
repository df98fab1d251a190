"""The web form's field checks, its CSRF tokens and its rate limiter."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from adapters.rate_limit import RateLimiter
from adapters.web.form import (
    MAX_FILE_BYTES,
    form_from_payload,
    form_payload,
    read_lookup_form,
    read_support_form,
)
from adapters.web.security import CsrfTokens
from tests.conftest import at

VALID = {
    "name": "Ana Gómez",
    "contact": "ana@andina.com.co",
    "organisation": "Andina",
    "subject": "No imprime",
    "description": "La impresora fiscal no imprime desde ayer.",
    "priority": "high",
}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Escriba su nombre."),
        ({"name": "x" * 101}, "name", "como máximo 100"),
        ({"contact": ""}, "contact", "Escriba el correo"),
        ({"contact": "ana@"}, "contact", "Escriba un correo"),
        ({"contact": "12345"}, "contact", "de 7 a 15 dígitos"),
        ({"contact": "1234567890123456"}, "contact", "de 7 a 15 dígitos"),
        ({"contact": "310+555"}, "contact", "de 7 a 15 dígitos"),
        ({"contact": "abc 3105550101"}, "contact", "de 7 a 15 dígitos"),
        ({"subject": "ab"}, "subject", "entre 3 y 150"),
        ({"subject": "x" * 151}, "subject", "entre 3 y 150"),
        ({"description": "corto"}, "description", "entre 10 y 5000"),
        ({"description": "x" * 5001}, "description", "entre 10 y 5000"),
        ({"priority": ""}, "priority", "cinco prioridades"),
        ({"priority": "urgent"}, "priority", "cinco prioridades"),
        ({"priority": "urgent", "language": "en"}, "priority", "five priorities"),
        ({"subject": "ab", "language": "en"}, "subject", "between 3 and 150"),
    ],
)
def test_a_bad_field_gets_its_own_message(changes: dict[str, str], field: str, message: str) -> None:
    form, errors = read_support_form({**VALID, **changes})
    assert form is None
    assert list(errors) == [field]
    assert message in errors[field]


@pytest.mark.parametrize(
    "contact", ["ana@andina.com.co", "+57 310 555 0101", "(310) 555-0101", "3105550", "123456789012345"]
)
def test_emails_and_phones_are_contacts(contact: str) -> None:
    form, errors = read_support_form({**VALID, "contact": contact})
    assert errors == {} and form is not None and form.contact == contact


def test_a_valid_form_is_stripped_and_defaults_to_spanish() -> None:
    form, errors = read_support_form({**VALID, "subject": "  No imprime  ", "priority": "HIGH", "language": "fr"})
    assert errors == {} and form is not None
    assert (form.subject, form.priority, form.language, form.attachments) == ("No imprime", "high", "es", ())


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("a.txt", "text/plain", b"x")] * 4, "como máximo 3 archivos"),
        ([("big.log", "text/plain", b"x" * (MAX_FILE_BYTES + 1))], "«big.log» supera los 5 MB"),
    ],
)
def test_attachments_are_limited(files: list[tuple[str, str, bytes]], message: str) -> None:
    form, errors = read_support_form(VALID, files)
    assert form is None and message in errors["attachments"]


def test_the_stored_payload_reads_back_the_same_form() -> None:
    form, _ = read_support_form(VALID, [("captura.png", "image/png", b"\x89PNG\x00")])
    assert form is not None
    assert form_from_payload(form_payload(form)) == form


def test_the_lookup_form_names_what_is_missing() -> None:
    assert read_lookup_form({"number": " tl-1 ", "contact": ""}) == (
        {"number": "tl-1", "contact": ""},
        {"contact": "Escriba el correo o el teléfono con que registró la solicitud."},
    )


def test_a_csrf_token_round_trips_and_expires() -> None:
    clock = Clock(at("2026-11-23T14:00:00"))
    tokens = CsrfTokens("s3cret", clock)
    token = tokens.issue()
    assert tokens.check(token, token)
    assert tokens.for_form(token) == token  # a fresh token is reused: two tabs both work
    clock.now += timedelta(hours=1, minutes=45)
    assert tokens.check(token, token)
    assert tokens.for_form(token) != token  # little life left: the next form gets a new one
    clock.now += timedelta(minutes=16)
    assert not tokens.check(token, token)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token, other: (token, None),
        lambda token, other: (None, token),
        lambda token, other: (token, other),  # double submit: the cookie must be the same token
        # one character of the signature changed (not the last: its low bits are base64 padding, which the decoder
        # ignores, so changing it could leave the same signature — this test used to fail one run in a dozen)
        lambda token, other: (token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:],) * 2,
        lambda token, other: ("x." + token.split(".", 1)[1],) * 2,
        lambda token, other: (CsrfTokens("other", lambda: at("2026-11-23T14:00:00")).issue(),) * 2,
        lambda token, other: ("not-a-token",) * 2,
    ],
)
def test_a_tampered_or_missing_csrf_token_is_refused(tamper: object) -> None:
    tokens = CsrfTokens("s3cret", lambda: at("2026-11-23T14:00:00"))
    submitted, cookie = tamper(tokens.issue(), tokens.issue())  # type: ignore[operator]
    assert not tokens.check(submitted, cookie)


def test_the_rate_limiter_slides_and_counts_every_key() -> None:
    limiter = RateLimiter(2, timedelta(seconds=1))  # the limits package tells the time itself: a short real window
    assert limiter.allow("address:a", "contact:x")
    time.sleep(0.5)
    assert limiter.allow("address:b", "contact:x")
    assert not limiter.allow("address:c", "contact:x")  # the contact is at its limit: nothing is counted
    assert limiter.allow("address:c") and limiter.blocked("address:a") is False
    time.sleep(0.6)  # the first one left the window, the second is still in it
    assert limiter.allow("address:d", "contact:x")
    assert limiter.blocked("contact:x")


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("203.0.113.5", "", frozenset(), "203.0.113.5"),  # no proxy
        ("203.0.113.5", "198.51.100.7", frozenset(), "203.0.113.5"),  # a forged header from a direct visitor
        ("127.0.0.1", "198.51.100.7", frozenset({"127.0.0.1"}), "198.51.100.7"),  # behind our proxy
        ("127.0.0.1", "6.6.6.6, 198.51.100.7", frozenset({"127.0.0.1"}), "198.51.100.7"),  # forged first hop ignored
        ("127.0.0.1", "198.51.100.7, 10.0.0.2", frozenset({"127.0.0.1", "10.0.0.2"}), "198.51.100.7"),  # two proxies
        ("127.0.0.1", "", frozenset({"127.0.0.1"}), "127.0.0.1"),
    ],
)
def test_client_address(peer: str, forwarded: str, trusted: frozenset[str], expected: str) -> None:
    from unittest import mock

    from aiohttp.test_utils import make_mocked_request

    from adapters.web.security import client_address

    transport = mock.Mock()
    transport.get_extra_info.return_value = (peer, 40000)
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    request = make_mocked_request("POST", "/soporte", headers=headers, transport=transport)
    assert client_address(request, trusted) == expected
