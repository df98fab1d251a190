"""gateway.runtime.reload: what a reload adopts, what it refuses, and what it says needs a restart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.config.loader import composer, load_settings
from gateway.config.sla_policy import build_sla_policy
from gateway.runtime.reload import ConfigReloader, LiveParts, changed_settings, fingerprint
from tests.unit.test_config import config_dir as config_dir  # the example configuration, copied
from tests.unit.test_config import edit
from ticketing.customers import CustomerDirectory
from ticketing.replies import ReplyFacts

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def reloader(config_dir: Path) -> tuple[ConfigReloader, LiveParts]:
    settings = load_settings(config_dir / "gateway.toml", {})
    live = LiveParts(CustomerDirectory(settings.organisations), build_sla_policy(settings), composer(settings))
    return ConfigReloader(settings, live, lambda: NOW), live


def acknowledgement(live: LiveParts) -> str:
    return live.words.render("acknowledgement", "es", {**ReplyFacts.sample(NOW).as_context(), "channel": "email"})


async def test_a_template_edited_on_disk_counts_only_once_reloaded(config_dir: Path) -> None:
    config, live = reloader(config_dir)
    before = acknowledgement(live)
    template = config_dir / "templates" / "es" / "email" / "acknowledgement.txt"
    template.write_text("Recibido por {{ company }}\n", encoding="utf-8")
    assert acknowledgement(live) == before  # read once: the edit is not served unchecked
    assert await config.reload(fingerprint(config_dir))
    assert acknowledgement(live).startswith("Recibido por ")


async def test_an_invalid_edit_is_refused_and_the_running_parts_stay(config_dir: Path) -> None:
    config, live = reloader(config_dir)
    edit(config_dir / "customers.toml", 'plan = "7x24"', 'plan = "oro"')
    assert not await config.reload(fingerprint(config_dir))
    error = config.status()["last_reload_error"]
    assert "customers.toml" in error and "oro" in error
    assert live.directory.lookup("ana@clinicadelnorte.co").plan == "7x24"  # type: ignore[union-attr]


async def test_an_organisation_moved_to_another_plan_is_looked_up_anew(config_dir: Path) -> None:
    config, live = reloader(config_dir)
    edit(config_dir / "customers.toml", 'plan = "7x24"', 'plan = "standard"')
    assert await config.reload(fingerprint(config_dir))
    assert live.directory.lookup("ana@clinicadelnorte.co").plan == "standard"  # type: ignore[union-attr]
    assert config.status()["needs_restart"] == [] and config.status()["last_reload_error"] is None


@pytest.mark.parametrize(
    ("old", "new", "needs_restart"),
    [
        ("port = 8080", "port = 8081", ["http"]),
        ("warning_at = 0.75", "warning_at = 0.8", ["sla.warning_at"]),
        ("immediate_minutes = 15", "immediate_minutes = 20", []),
    ],
    ids=["http-port", "sla-monitor-rule", "sla-target-live"],
)
async def test_what_needs_a_restart(config_dir: Path, old: str, new: str, needs_restart: list[str]) -> None:
    config, _ = reloader(config_dir)
    edit(config_dir / "gateway.toml", old, new)
    assert await config.reload(fingerprint(config_dir))
    assert config.status()["needs_restart"] == needs_restart


def test_changed_settings_name_sections_and_sla_keys(config_dir: Path) -> None:
    before = load_settings(config_dir / "gateway.toml", {}).file
    edit(config_dir / "gateway.toml", "max_attempts = 8", "max_attempts = 9")
    edit(config_dir / "gateway.toml", "reopen_days = 7", "reopen_days = 3")
    after = load_settings(config_dir / "gateway.toml", {}).file
    assert changed_settings(before, after) == ["outbox", "sla.reopen_days"]


def test_the_fingerprint_follows_every_file(config_dir: Path) -> None:
    first = fingerprint(config_dir)
    (config_dir / "templates" / "es" / "email" / "resolved.txt").write_text("otro\n", encoding="utf-8")
    assert fingerprint(config_dir) != first
