"""The configuration as the admin page shows it: every default filled in, and no secret, wherever it would hide."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.admin.config_view import MASK, Masker, effective_config
from gateway.config.loader import load_settings
from tests.conftest import PROJECT

ENV = {"IMAP_PASSWORD": "hunter2-imap-secret", "EMPTY": ""}


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("password_env", "IMAP_PASSWORD", "IMAP_PASSWORD (set)"),
        ("username_env", "SMTP_USER", "SMTP_USER (not set)"),
        ("csrf_secret_env", "EMPTY", "EMPTY (not set)"),
        ("url_env", None, "(none)"),
        ("api_key", "abc123", MASK),  # a literal that its name says is secret
        ("bot_token", "xoxb-1", MASK),
        ("signing_secret", "", '""'),  # nothing to hide
        ("callback_url", "https://bot:pa55word@relay.example/hook", '"https://bot:••••••@relay.example/hook"'),
        ("callback_url", "https://relay.example/hook", '"https://relay.example/hook"'),
        ("note", "the password is hunter2-imap-secret", f'"the password is {MASK}"'),  # a known secret anywhere
        ("public_url", None, "(not set)"),
        ("port", 8080, "8080"),
        ("trusted_proxies", ["127.0.0.1"], '["127.0.0.1"]'),
    ],
)
def test_one_setting_as_shown(key: str, value: object, shown: str) -> None:
    assert Masker(ENV, [ENV["IMAP_PASSWORD"]]).shown(key, value) == shown


def test_the_whole_configuration_hides_the_secrets_it_names(tmp_path: Path) -> None:
    shutil.copytree(PROJECT / "config", tmp_path / "config")
    path = tmp_path / "config" / "gateway.toml"
    mailbox = (
        '\n[[channels.email.imap]]\nname = "soporte"\nhost = "imap.tecnolinux.com"\nusername_env = "IMAP_USER"\n'
        'password_env = "IMAP_PASSWORD"\n'
    )
    path.write_text(path.read_text() + mailbox)
    env = {"IMAP_USER": "soporte@tecnolinux.com", "IMAP_PASSWORD": "hunter2-imap-secret"}
    sections = {section.name: dict(section.settings) for section in effective_config(load_settings(path, env))}
    everything = repr(sections)
    assert "hunter2-imap-secret" not in everything
    imap = sections["channels.email.imap[1]"]
    assert imap["password_env"] == "IMAP_PASSWORD (set)" and imap["host"] == '"imap.tecnolinux.com"'
    assert imap["username_env"] == "IMAP_USER (set)"
    assert sections["channels.email"]["support_addresses"] == '["soporte@tecnolinux.com"]'  # a name, not a secret
    assert sections["http"]["idle_timeout_seconds"] == "15.0"  # defaults filled in
    assert sections["channels"]["whatsapp"] == "(off)"
