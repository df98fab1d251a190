"""The Twilio webhook sub-app on a real aiohttp server, over a real SQLite store, signed by the twilio package."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator

from adapters.whatsapp.read import parse_form
from adapters.whatsapp.webhook import EMPTY_TWIML, StatusUpdate, signed_by_twilio, twilio_webhooks
from tests.conftest import at
from ticketing.intake import AcceptRequest, AcceptResult
from ticketing.store.sqlite import SqliteStore

TOKEN = "f" * 32
PUBLIC = "https://desk.example.com"
WHATSAPP_URL = f"{PUBLIC}/webhooks/twilio/whatsapp"
STATUS_URL = f"{PUBLIC}/webhooks/twilio/status"
VECTORS = Path(__file__).resolve().parents[1] / "fixtures" / "webhooks" / "signature_vectors" / "vectors.json"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def inbound(sid: str = "SM" + "1" * 32, **extra: str) -> dict[str, str]:
    fields = {
        "MessageSid": sid,
        "AccountSid": "AC" + "2" * 32,
        "From": "whatsapp:+573001234567",
        "To": "whatsapp:+14155238886",
        "WaId": "573001234567",
        "ProfileName": "Ana",
        "MessageType": "text",
        "Body": "El servidor no responde.",
        "NumMedia": "0",
    }
    fields.update(extra)
    return fields


def signed(params: dict[str, str], url: str = WHATSAPP_URL, token: str = TOKEN) -> dict[str, str]:
    return {**FORM, "X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}


@dataclass
class Desk:
    """The sub-app mounted the way the gateway mounts it, with a store that can be told to fail."""

    client: TestClient[web.Request, web.Application]
    store: SqliteStore
    statuses: list[StatusUpdate] = field(default_factory=list)
    accepted: list[AcceptRequest] = field(default_factory=list)
    store_down: bool = False
    status_down: bool = False

    async def rows(self) -> list[bytes]:
        async with self.store.transaction() as tx:
            return [item.raw for item in await tx.pending_inbox()]


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    store = SqliteStore(tmp_path / "whatsapp.sqlite3")
    await store.open()
    holder: list[Desk] = []

    async def accept(request: AcceptRequest) -> AcceptResult:
        holder[0].accepted.append(request)
        if holder[0].store_down:
            raise OSError("disk full")
        return await store.accept(request)

    async def on_status(update: StatusUpdate) -> None:
        if holder[0].status_down:
            raise OSError("disk full")
        holder[0].statuses.append(update)

    app = web.Application()
    app.add_subapp(
        "/webhooks/twilio",
        twilio_webhooks(
            auth_token=TOKEN,
            public_base_url=PUBLIC + "/",
            accept=accept,
            on_status=on_status,
            clock=lambda: at("2026-11-24T14:00:00"),
            max_body_bytes=4096,
        ),
    )
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    holder.append(Desk(client, store))
    yield holder[0]
    await client.close()
    await store.close()


async def post(desk: Desk, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str, str]:
    response = await desk.client.post(path, data=urlencode(params).encode(), headers=headers)
    return response.status, await response.text(), response.headers.get("Content-Type", "")


async def test_signed_message_is_committed_raw_then_answered_with_empty_twiml(desk: Desk) -> None:
    params = inbound()
    status, text, content_type = await post(desk, "/webhooks/twilio/whatsapp", params, signed(params))
    assert (status, text) == (200, EMPTY_TWIML)
    assert content_type.startswith("text/xml")
    assert await desk.rows() == [urlencode(params).encode()]
    request = desk.accepted[0]
    assert (request.channel, request.native_id) == ("whatsapp", params["MessageSid"])
    assert request.meta == {"content_type": "application/x-www-form-urlencoded", "url": WHATSAPP_URL}
    assert request.received_at == at("2026-11-24T14:00:00")


async def test_a_twilio_retry_of_the_same_message_stores_nothing_new(desk: Desk) -> None:
    params = inbound()
    for _ in range(2):
        status, text, _ = await post(desk, "/webhooks/twilio/whatsapp", params, signed(params))
        assert (status, text) == (200, EMPTY_TWIML)
    assert len(await desk.rows()) == 1


@pytest.mark.parametrize(
    "headers",
    [
        FORM,  # unsigned
        signed(inbound(), token="0" * 32),  # signed with another account's token
        signed(inbound(), url="http://127.0.0.1/webhooks/twilio/whatsapp"),  # the Host we see is not what Twilio signed
        signed(inbound(Body="otra cosa")),  # the body was changed after signing
    ],
    ids=["unsigned", "wrong token", "local url", "tampered body"],
)
async def test_bad_signatures_are_refused_and_nothing_is_stored(desk: Desk, headers: dict[str, str]) -> None:
    status, text, _ = await post(desk, "/webhooks/twilio/whatsapp", inbound(), headers)
    assert (status, text) == (403, "invalid signature")
    assert desk.accepted == [] and await desk.rows() == []


async def test_the_public_url_from_config_counts_not_the_host_behind_the_proxy(desk: Desk) -> None:
    params = inbound()
    headers = {**signed(params, url=WHATSAPP_URL + "?tenant=tl"), "Host": "internal:8080", "X-Forwarded-Proto": "http"}
    status, _, _ = await post(desk, "/webhooks/twilio/whatsapp?tenant=tl", params, headers)
    assert status == 200
    assert desk.accepted[0].meta["url"] == WHATSAPP_URL + "?tenant=tl"


async def test_a_signature_over_the_url_with_its_default_port_is_accepted_too(desk: Desk) -> None:
    """Twilio signs some requests over "https://host:443/...": its own validator tries both forms, and so do we."""
    params = inbound()
    with_port = WHATSAPP_URL.replace("desk.example.com", "desk.example.com:443")
    status, _, _ = await post(desk, "/webhooks/twilio/whatsapp", params, signed(params, url=with_port))
    assert status == 200 and len(await desk.rows()) == 1


async def test_oversized_body_is_refused_with_413(desk: Desk) -> None:
    params = inbound(Body="x" * 5000)
    status, _, _ = await post(desk, "/webhooks/twilio/whatsapp", params, signed(params))
    assert status == 413
    assert await desk.rows() == []


async def test_a_body_that_is_not_a_form_is_refused_with_415(desk: Desk) -> None:
    response = await desk.client.post("/webhooks/twilio/whatsapp", json=inbound(), headers={"X-Twilio-Signature": "x"})
    assert response.status == 415
    assert await desk.rows() == []


async def test_a_signed_form_without_message_sid_is_refused_with_400(desk: Desk) -> None:
    params = inbound()
    del params["MessageSid"]
    status, _, _ = await post(desk, "/webhooks/twilio/whatsapp", params, signed(params))
    assert status == 400
    assert await desk.rows() == []


async def test_store_failure_answers_503_so_twilio_retries(desk: Desk) -> None:
    desk.store_down = True
    params = inbound()
    status, _, _ = await post(desk, "/webhooks/twilio/whatsapp", params, signed(params))
    assert status == 503
    desk.store_down = False
    status, _, _ = await post(desk, "/webhooks/twilio/whatsapp", params, signed(params))
    assert status == 200
    assert len(await desk.rows()) == 1


async def test_status_callback_reaches_on_status(desk: Desk) -> None:
    params = {
        "MessageSid": "SM" + "3" * 32,
        "MessageStatus": "undelivered",
        "ErrorCode": "63016",
        "ErrorMessage": "Outside the allowed window",
        "AccountSid": "AC" + "2" * 32,
        "To": "whatsapp:+573001234567",
        "From": "whatsapp:+14155238886",
    }
    status, text, _ = await post(desk, "/webhooks/twilio/status", params, signed(params, url=STATUS_URL))
    assert (status, text) == (200, "")
    assert desk.statuses == [StatusUpdate("SM" + "3" * 32, "undelivered", "63016", "Outside the allowed window")]
    assert await desk.rows() == []


async def test_status_callback_needs_a_signature_and_a_working_store(desk: Desk) -> None:
    params = {"MessageSid": "SM" + "3" * 32, "MessageStatus": "delivered"}
    status, _, _ = await post(desk, "/webhooks/twilio/status", params, signed(params))  # signed for /whatsapp
    assert status == 403
    desk.status_down = True
    status, _, _ = await post(desk, "/webhooks/twilio/status", params, signed(params, url=STATUS_URL))
    assert status == 503
    assert desk.statuses == []


def twilio_vectors() -> list[tuple[str, list[tuple[str, str]], str]]:
    """The form-encoded cases of Twilio's own signature tests (twilio-python, MIT; see LICENSE-NOTICE.txt)."""
    block = json.loads(VECTORS.read_text(encoding="utf-8"))["twilio_x_twilio_signature"]
    cases = block["cases"]
    found = []
    for case in cases:
        if "raw_body" in case:
            continue  # the JSON-body variant, which Twilio does not use for messaging webhooks
        source = cases[case["same_params_as"]] if "same_params_as" in case else case
        pairs = source.get("params_multi") or list(source["params"].items())
        found.append((case["url"], [(str(k), str(v)) for k, v in pairs], case["signature"]))
    return found


@pytest.mark.parametrize(("url", "pairs", "signature"), twilio_vectors())
def test_twilio_published_signatures_validate_on_our_parsed_form(
    url: str, pairs: list[tuple[str, str]], signature: str
) -> None:
    """The body goes through the same parse_form the webhook uses, repeated fields included."""
    token = json.loads(VECTORS.read_text(encoding="utf-8"))["twilio_x_twilio_signature"]["auth_token"]
    form = parse_form(urlencode(pairs).encode())
    validator = RequestValidator(token)
    assert validator.validate(url, form, signature) and signed_by_twilio(validator, url, form, signature)
    assert not signed_by_twilio(validator, url.replace("foo=1", "foo=2"), form, signature)
