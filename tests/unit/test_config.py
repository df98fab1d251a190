"""Configuration checks: the example is valid, and every problem in a broken one is reported at once, located."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.cli.main import main
from gateway.config.loader import ConfigError, load_settings

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(PROJECT / "config", target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_the_example_configuration_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", "--config", str(PROJECT / "config" / "gateway.toml")]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "4 organisations" in out
    settings = load_settings(PROJECT / "config" / "gateway.toml", {})
    assert settings.file.gateway.ticket_prefix == "TL"
    assert settings.file.channels.email is not None
    assert settings.file.channels.email.support_addresses == ["soporte@tecnolinux.com"]
    phones = {org.id: sorted(org.phones) for org in settings.organisations}
    assert phones["clinica-norte"] == ["+573155550203", "+576015550202"]  # read as Colombian numbers, E.164


def test_every_problem_is_reported_with_its_place(config_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gateway_toml, customers = config_dir / "gateway.toml", config_dir / "customers.toml"
    edit(gateway_toml, 'response = "1h"', 'response = "1 week"')
    edit(gateway_toml, "port = 8080", "port = 8080\nprot = 1")
    edit(gateway_toml, 'closes = "16:30"', 'closes = "07:00"')
    edit(customers, 'plan = "7x24"', 'plan = "gold"')
    edit(customers, '"315 555 0203"', '"not a phone"')
    edit(customers, 'domains = ["northwind.example"]', 'domains = ["northwind.example", "andina.com.co"]')
    edit(config_dir / "templates" / "en" / "email" / "acknowledgement.txt", "{{ number }}.", "{{ number }.")
    (config_dir / "templates" / "es" / "chat" / "not_covered.txt").unlink()

    assert main(["check-config", "--config", str(gateway_toml)]) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert lines[0] == "gateway: 8 configuration problem(s):"
    expected = [
        f"{gateway_toml}:{line_of(gateway_toml, '1 week')}: sla.priorities.high.response: ",
        f"{gateway_toml}:{line_of(gateway_toml, 'prot = 1')}: http.prot: unknown setting",
        f"{gateway_toml}:{line_of(gateway_toml, '[sla.business_hours]')}: sla.business_hours: opens (08:00) must be before closes (07:00)",
        f"{customers}:{line_of(customers, 'gold')}: organisation[clinica-norte].plan: unknown plan 'gold'",
        f"{customers}:{line_of(customers, 'not a phone')}: organisation[clinica-norte].phones: not a phone number: 'not a phone'",
        f"{customers}:{line_of(customers, 'northwind.example')}: organisation[northwind].domains: 'andina.com.co' already identifies organisation 'andina'",
        f"{config_dir / 'templates' / 'en' / 'email' / 'acknowledgement.txt'}:",
        f"{config_dir / 'templates' / 'es' / 'chat' / 'not_covered.txt'}: template missing",
    ]
    for start in expected:
        assert any(line.strip().startswith(start) for line in lines[1:]), f"missing: {start}\n{err}"
    assert "Traceback" not in err


def test_toml_syntax_error_names_the_line(config_dir: Path) -> None:
    edit(config_dir / "gateway.toml", "[http]", "[http")
    with pytest.raises(ConfigError) as caught:
        load_settings(config_dir / "gateway.toml", {})
    assert len(caught.value.problems) == 1
    assert "not valid TOML" in caught.value.problems[0] and "line" in caught.value.problems[0]


def test_missing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tickets", "list", "--config", str(tmp_path / "nope.toml")]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith("nope.toml: file not found")


def test_secrets_are_named_not_written(config_dir: Path) -> None:
    edit(
        config_dir / "gateway.toml",
        'transport = "maildir"',
        'transport = "smtp"\nusername_env = "RELAY_USER"\npassword_env = "RELAY_PASS"',
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(config_dir / "gateway.toml", {"RELAY_USER": "desk"})
    assert [p.split(": ", 1)[1] for p in caught.value.problems] == [
        "channels.email.outgoing.password_env: environment variable RELAY_PASS is not set"
    ]
    settings = load_settings(config_dir / "gateway.toml", {"RELAY_USER": "desk", "RELAY_PASS": "s3cret"})
    assert settings.secret(settings.file.channels.email.outgoing.password_env) == "s3cret"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("lines", "env", "problem"),
    [
        ('public_url = "https://soporte.example"', {}, "http.link_secret_env: public_url needs link_secret_env"),
        (
            'public_url = "https://soporte.example"\nlink_secret_env = "LINKS"',
            {},
            "http.link_secret_env: environment variable LINKS is not set",
        ),
        ('public_url = "soporte.example"', {}, "http.public_url: String should match pattern"),
        (
            'public_url = "https://soporte.example/desk"\nlink_secret_env = "LINKS"\nlink_days = 0',
            {"LINKS": "x"},
            "http.link_days: Input should be greater than or equal to 1",
        ),
    ],
)
def test_download_links_need_a_url_and_a_secret(
    config_dir: Path, lines: str, env: dict[str, str], problem: str
) -> None:
    edit(config_dir / "gateway.toml", "port = 8080", f"port = 8080\n{lines}")
    with pytest.raises(ConfigError) as caught:
        load_settings(config_dir / "gateway.toml", env)
    [found] = caught.value.problems
    assert problem in found and found.startswith(f"{config_dir / 'gateway.toml'}:")


def test_a_template_naming_an_unknown_fact_is_caught_before_a_client_sees_it(config_dir: Path) -> None:
    edit(config_dir / "templates" / "es" / "email" / "acknowledgement.txt", "{{ number }}.", "{{ numero }}.")
    with pytest.raises(ConfigError) as caught:
        load_settings(config_dir / "gateway.toml", {})
    [problem] = caught.value.problems
    assert problem.startswith(str(config_dir / "templates" / "es" / "email" / "acknowledgement.txt"))
    assert "'numero' is undefined" in problem


def test_check_config_says_which_channels_answer_in_the_chat_wording(
    config_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway_toml = config_dir / "gateway.toml"
    gateway_toml.write_text(
        gateway_toml.read_text()
        + '\n[channels.relay.teams]\nsecret_env = "T"\ncallback_url = "https://b.example/desk"\n'
    )
    (config_dir / "templates" / "es" / "acknowledgement.txt").write_text("Hola")  # where email's used to be
    with pytest.MonkeyPatch.context() as env:
        env.setenv("T", "s3cret")
        assert main(["check-config", "--config", str(gateway_toml)]) == 0
    out = capsys.readouterr().out
    assert "note: channel relay:teams has no reply templates of its own: it answers in the chat wording" in out
    assert f"note: {config_dir / 'templates' / 'es' / 'acknowledgement.txt'} is not used" in out
    (config_dir / "templates" / "es" / "relay").mkdir()
    (config_dir / "templates" / "es" / "relay" / "acknowledgement.txt").write_text("Hola {{ number }}")
    settings = load_settings(gateway_toml, {"T": "s3cret"})
    assert not any("relay:teams" in note for note in settings.notes)  # its own now: templates/es/relay/


def test_check_config_says_what_several_gateways_on_postgresql_need(config_dir: Path) -> None:
    gateway_toml = config_dir / "gateway.toml"
    assert not any("csrf_secret_env" in note for note in load_settings(gateway_toml, {}).notes)  # SQLite: one
    edit(gateway_toml, 'backend = "sqlite"', 'backend = "postgresql"\nurl_env = "GATEWAY_DATABASE_URL"')
    env = {"GATEWAY_DATABASE_URL": "postgresql://db.internal/gateway"}
    [note] = [note for note in load_settings(gateway_toml, env).notes if "csrf_secret_env" in note]
    assert "a form served by one is refused by another" in note
    edit(gateway_toml, '# csrf_secret_env = "GATEWAY_WEB_SECRET"', 'csrf_secret_env = "GATEWAY_WEB_SECRET"')
    assert not any("csrf_secret_env" in note for note in load_settings(gateway_toml, env).notes)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", None),  # unset: the admin pages are off, and that is no problem
        ("x" * 12, None),
        ("tiny-pass", "admin.password_env: environment variable GATEWAY_ADMIN_PASSWORD is shorter than 12 characters"),
    ],
)
def test_the_admin_password_is_long_enough_or_unset(config_dir: Path, password: str, problem: str | None) -> None:
    gateway_toml = config_dir / "gateway.toml"
    env = {"GATEWAY_ADMIN_PASSWORD": password} if password else {}
    if problem is None:
        load_settings(gateway_toml, env)
        return
    with pytest.raises(ConfigError) as caught:
        load_settings(gateway_toml, env)
    [found] = caught.value.problems
    assert found == f"{gateway_toml}:{line_of(gateway_toml, '[admin]')}: {problem}"
    assert password not in found  # named, never printed
