"""The phone call modal, what its submission means (one table of valid and invalid submissions), and the confirmation;
views are built as Slack sends them back: `view.state.values[block_id][action_id]` with `value` / `selected_option`."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.phone_call import (
    CONTACT_ERROR,
    PhoneCall,
    PhoneCallError,
    confirmation_view,
    phone_call_modal,
    read_phone_call,
)
from tests.conftest import project_texts
from tests.fake_slack import view_problems

VIEW_ID = "V0VIEW0001"
LABELS_ES = project_texts()("es")
LABELS = {"critical": "Crítico", "high": "Alto", "medium": "Medio", "low": "Bajo", "planned": "Planificado"}
FILLED = {
    "contact": "Ana.Rojas@Cliente.COM",
    "client_name": "Ana Rojas",
    "organisation": "Transportes del Valle",
    "subject": "No abre el ERP",
    "description": "Desde esta mañana el ERP muestra error 500 al iniciar sesión.\nAfecta a contabilidad.",
    "priority": "high",
}


def submitted_view(view_id: str = VIEW_ID, /, **fields: str | None) -> dict[str, Any]:
    """The `view` of a view_submission for the phone call modal, filled with FILLED overridden by `fields` (None:
    left empty, which Slack sends as `"value": null` / `"selected_option": null`)."""
    filled = {**FILLED, **fields}
    values: dict[str, Any] = {
        block_id: {block_id: {"type": "plain_text_input", "value": filled[block_id]}}
        for block_id in ("contact", "client_name", "organisation", "subject", "description")
    }
    priority = filled["priority"]
    option = {"text": {"type": "plain_text", "text": LABELS.get(priority or "", "?"), "emoji": True}, "value": priority}
    values["priority"] = {"priority": {"type": "static_select", "selected_option": option if priority else None}}
    modal = phone_call_modal(LABELS_ES)
    return {
        "id": view_id,
        "team_id": "T111",
        "type": "modal",
        "blocks": modal["blocks"],
        "private_metadata": "",
        "callback_id": "phone_call",
        "state": {"values": values},
        "hash": "1764511200.Xy1Zab2c",
        "title": modal["title"],
        "clear_on_close": False,
        "notify_on_close": False,
        "close": modal["close"],
        "submit": modal["submit"],
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": "A111",
        "external_id": "",
        "app_installed_team_id": "T111",
        "bot_id": "B0BOT",
    }


def call(**fields: str) -> PhoneCall:
    """The PhoneCall FILLED makes (the email lowercased), with `fields` overridden."""
    made = {
        "native_id": f"call:{VIEW_ID}",
        "operator": "U0AGENT",
        "contact": "ana.rojas@cliente.com",
        **{key: value for key, value in FILLED.items() if key != "contact"},
    }
    made.update(fields)
    return PhoneCall(**made)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({}, call(), id="everything filled, the email lowercased"),
        pytest.param(
            {"contact": "  soporte@empresa.com.co "}, call(contact="soporte@empresa.com.co"), id="email trimmed"
        ),
        pytest.param({"contact": "+57 (300) 555-0101"}, call(contact="+57 (300) 555-0101"), id="phone kept as typed"),
        pytest.param({"contact": "3005550101"}, call(contact="3005550101"), id="national phone"),
        pytest.param({"contact": "555-0101"}, call(contact="555-0101"), id="seven digits"),
        pytest.param({"contact": "+123456789012345"}, call(contact="+123456789012345"), id="fifteen digits"),
        pytest.param(
            {"client_name": None, "organisation": None}, call(client_name="", organisation=""), id="optional left empty"
        ),
        pytest.param({"organisation": "   "}, call(organisation=""), id="organisation blank"),
        pytest.param({"subject": "  No abre el ERP  "}, call(), id="subject trimmed"),
        pytest.param({"priority": "critical"}, call(priority="critical"), id="critical"),
        pytest.param({"priority": "planned"}, call(priority="planned"), id="planned"),
    ],
)
def test_a_valid_submission_is_a_phone_call(fields: dict[str, str | None], expected: PhoneCall) -> None:
    assert read_phone_call(submitted_view(**fields), "U0AGENT") == expected


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        pytest.param({"contact": None}, {"contact"}, id="no contact"),
        pytest.param({"contact": "ana@cliente"}, {"contact"}, id="no dot in the domain"),
        pytest.param({"contact": "ana@cliente."}, {"contact"}, id="only a trailing dot"),
        pytest.param({"contact": "ana@@cliente.com"}, {"contact"}, id="two @"),
        pytest.param({"contact": "ana@b@cliente.com"}, {"contact"}, id="two @ apart"),
        pytest.param({"contact": "@cliente.com"}, {"contact"}, id="no local part"),
        pytest.param({"contact": "ana rojas@cliente.com"}, {"contact"}, id="space in the email"),
        pytest.param({"contact": "555 010"}, {"contact"}, id="six digits"),
        pytest.param({"contact": "+57 300 555 0101 99999"}, {"contact"}, id="sixteen digits"),
        pytest.param({"contact": "300 555 O1O1"}, {"contact"}, id="letters in the number"),
        pytest.param({"contact": "57+3005550101"}, {"contact"}, id="plus not leading"),
        pytest.param({"contact": "Ana Rojas"}, {"contact"}, id="a name"),
        pytest.param({"subject": "   "}, {"subject"}, id="blank subject"),
        pytest.param({"description": None}, {"description"}, id="no description"),
        pytest.param({"priority": None}, {"priority"}, id="no priority"),
        pytest.param({"priority": "urgent"}, {"priority"}, id="not one of the five"),
        pytest.param(
            {"contact": "x", "subject": None, "description": "", "priority": None},
            {"contact", "subject", "description", "priority"},
            id="every error at once",
        ),
    ],
)
def test_an_invalid_submission_names_each_field(fields: dict[str, str | None], errors: set[str]) -> None:
    with pytest.raises(PhoneCallError) as raised:
        read_phone_call(submitted_view(**fields), "U0AGENT")
    assert set(raised.value.errors) == errors
    assert isinstance(raised.value, ValueError)
    assert all(message.strip() for message in raised.value.errors.values())
    if "contact" in errors:
        assert raised.value.errors["contact"] == CONTACT_ERROR


def test_a_view_without_state_is_every_required_error() -> None:
    with pytest.raises(PhoneCallError) as raised:
        read_phone_call({"id": VIEW_ID}, "U0AGENT")
    assert set(raised.value.errors) == {"contact", "subject", "description", "priority"}


def test_the_same_view_is_the_same_native_id() -> None:
    first = read_phone_call(submitted_view("V0AAA"), "U0AGENT")
    again = read_phone_call(submitted_view("V0AAA", subject="Otro asunto"), "U0LEAD")
    assert first.native_id == again.native_id == "call:V0AAA"
    assert read_phone_call(submitted_view("V0BBB"), "U0AGENT").native_id == "call:V0BBB"


def test_the_modal_offers_the_five_priorities_with_the_agreements_definitions() -> None:
    modal = phone_call_modal(LABELS_ES)
    [priority] = [block for block in modal["blocks"] if block["block_id"] == "priority"]
    options = priority["element"]["options"]
    assert priority["element"]["type"] == "static_select"
    assert [(option["value"], option["text"]["text"], option["description"]["text"]) for option in options] == [
        ("critical", "Crítico", "Sin disponibilidad de la plataforma o servicio"),
        ("high", "Alto", "Producción continúa de manera imperfecta"),
        ("medium", "Medio", "Impedimentos menores"),
        ("low", "Bajo", "Consulta técnica o de uso"),
        ("planned", "Planificado", "No urgente"),
    ]
    assert "initial_option" not in priority["element"]  # the operator chooses; no silent default


def test_the_modal_is_what_slack_accepts_and_what_the_reader_reads() -> None:
    modal = phone_call_modal(LABELS_ES)
    assert (modal["type"], modal["callback_id"], modal["title"]["text"]) == ("modal", "phone_call", "Registrar llamada")
    assert view_problems(modal) == []
    inputs = {block["block_id"]: block for block in modal["blocks"]}
    assert all(
        block["type"] == "input" and block["element"]["action_id"] == block_id for block_id, block in inputs.items()
    )
    required = {block_id for block_id, block in inputs.items() if not block.get("optional")}
    assert required == {"contact", "subject", "description", "priority"}
    assert inputs["description"]["element"]["multiline"] is True
    assert inputs["contact"]["label"]["text"] == "Correo o WhatsApp del cliente"
    assert phone_call_modal(LABELS_ES, "another")["callback_id"] == "another"


@pytest.mark.parametrize(("contact", "by"), [("ana@cliente.com", "por correo"), ("+57 300 555 0101", "por WhatsApp")])
def test_the_confirmation_shows_the_number(contact: str, by: str) -> None:
    view = confirmation_view("TL-000123", contact)
    assert view_problems(view) == [] and "submit" not in view
    [section] = view["blocks"]
    text = section["text"]["text"]
    assert "TL-000123" in text and contact in text and by in text and "acuse" in text


def test_the_confirmation_escapes_the_contact() -> None:
    text = confirmation_view("TL-000123", "a<!channel>@x.co")["blocks"][0]["text"]["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
