"""One source per label and per calendar fact: config/labels.toml and [sla.business_hours], read by everything that
shows them to people, and checked like the rest of the configuration."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from adapters.web import MOUNT_PATH
from gateway.config.loader import ConfigError, composer, load_settings
from gateway.runtime.bootstrap import build_gateway
from tests.conftest import PROJECT, project_texts
from tests.unit.test_config import edit, line_of
from ticketing.replies import ReplyFacts
from ticketing.types import Priority, Status


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(PROJECT / "config", target)
    return target


def test_every_priority_has_the_agreements_name_and_definition_in_both_languages() -> None:
    texts = project_texts()
    for language in ("es", "en"):
        labels = texts(language)
        assert list(labels.priorities) == [priority.value for priority in Priority]
        assert all(words.name and len(words.definition) > 15 for words in labels.priorities.values())
        assert all(labels.status(status.value) != status.value for status in Status)
    spanish = texts("es")
    assert [spanish.priority(p.value) for p in Priority] == ["Crítico", "Alto", "Medio", "Bajo", "Planificado"]
    assert "Sin disponibilidad de la plataforma" in spanish.priorities["critical"].definition
    assert spanish.status("waiting_on_client", for_clients=True) == "Esperando su respuesta"
    assert spanish.channel("relay:teams") == "Chat externo · teams"  # one of several: by both names
    assert spanish.channel("fax") == "fax"  # no label: shown by its name


async def test_the_calendar_writes_the_opening_hours_everywhere(config_dir: Path) -> None:
    gateway_toml = config_dir / "gateway.toml"
    edit(
        gateway_toml, 'days = ["mon", "tue", "wed", "thu", "fri"]', 'days = ["mon", "tue", "wed", "thu", "fri", "sat"]'
    )
    edit(gateway_toml, 'opens = "08:00"', 'opens = "07:00"')
    edit(gateway_toml, 'closes = "16:30"', 'closes = "15:00"')
    edit(gateway_toml, 'path = "var/gateway.sqlite3"', f'path = "{(config_dir / "h.sqlite3").as_posix()}"')
    settings = load_settings(gateway_toml, {})
    hours = "lunes a sábado de 7:00 a 15:00, GMT-5"
    assert settings.texts.opening_hours("es") == hours
    assert settings.texts.opening_hours("en") == "Monday to Saturday, 7:00 to 15:00, GMT-5"
    assert settings.texts.plan("standard", "es") == "Estándar (lun–sáb 7:00–15:00)"  # the console's plan label
    assert settings.texts.plan("7x24", "es") == "7x24"
    facts = ReplyFacts.sample(datetime(2026, 11, 28, 20, 0, tzinfo=UTC))  # outside hours: the reply says when
    for channel in ("email", "whatsapp", "slack"):
        text = composer(settings).render("acknowledgement", "es", {**facts.as_context(), "channel": channel})
        assert hours in text and "8:00" not in text
    gateway = build_gateway(settings, lambda: datetime(2026, 11, 28, 20, 0, tzinfo=UTC))
    app = web.Application()
    app.add_subapp(MOUNT_PATH, gateway.webhooks[MOUNT_PATH])
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        page = await (await client.get(MOUNT_PATH)).text()
    assert f"Horario de atención: {hours}." in page


@pytest.mark.parametrize(
    ("old", "new", "where", "what"),
    [
        ('[es.priority.planned]\nname = "Planificado"', '[es.priority.later]\nname = "Planificado"',
         "es.priority.later", "'later' is not allowed here: Input should be 'critical', 'high', 'medium'"),
        ('summary = "No urgente"', 'summary = "' + "x" * 80 + '"', "es.priority.planned.summary", "at most 75 characters"),
        ('waiting_on_client = { agents = "En espera del cliente", ', 'waiting_on_client = { ', "es.status.waiting_on_client.agents",
         "Field required"),
        ('[es.status]\nnew = { agents = "Nuevo", clients = "Recibido" }', "[es.status]", "es.status",
         "labels missing for: new"),
        ("[en.channel]", "[fr.channel]", "fr", "'fr' is not allowed here: Input should be 'es' or 'en'"),
    ],
)  # fmt: skip
def test_a_label_problem_is_reported_with_its_place(
    config_dir: Path, old: str, new: str, where: str, what: str
) -> None:
    labels = config_dir / "labels.toml"
    edit(labels, old, new)
    with pytest.raises(ConfigError) as caught:
        load_settings(config_dir / "gateway.toml", {})
    first, *_ = caught.value.problems  # a language not offered also lacks its priorities and statuses: said too
    place, _, rest = first.partition(": ")
    assert place == f"{labels}:{line_of(labels, new.splitlines()[0])}"  # where the admin has to look
    assert rest.startswith(f"{where}: ") and what in rest
    assert all(problem.startswith(f"{labels}:") for problem in caught.value.problems)
