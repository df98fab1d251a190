"""The inward import rule of the design, checked on the AST of every module.

gateway -> adapters -> normalizer -> ticketing. Besides the layers: a channel package never imports a sibling
channel (the modules at the top of adapters/ are what channels share), nothing but gateway touches the store's
implementation, and the core knows nothing of Slack, Twilio or HTTP.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
LAYERS = ("gateway", "adapters", "normalizer", "ticketing")
# What each layer may import from the project (prefixes of module names).
ALLOWED: dict[str, tuple[str, ...]] = {
    "gateway": LAYERS,
    "adapters": ("adapters", "normalizer", "ticketing"),
    "normalizer": ("normalizer", "ticketing.types"),
    "ticketing": ("ticketing",),
}
STORE = "ticketing.store"  # only gateway picks a store; the core and channels use ticketing.ports
CHANNEL_LIBRARIES = ("slack_sdk", "slack_bolt", "twilio", "aiohttp", "aiosmtpd", "imapclient", "jinja2", "babel")


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module name) of every absolute import, with the imported name appended for `from` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def project_imports(path: Path) -> list[tuple[int, str]]:
    return [(line, name) for line, name in imports(path) if name.split(".")[0] in LAYERS]


def channel_package(module: str, root: Path = PROJECT) -> str | None:
    """The channel package a module name is in ("adapters.slack.read" -> "slack"), or None."""
    parts = module.split(".")
    if parts[0] != "adapters" or len(parts) < 2:
        return None
    return parts[1] if (root / "adapters" / parts[1]).is_dir() else None


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def violations(layer: str, root: Path = PROJECT) -> list[str]:
    problems = []
    for path in sorted((root / layer).rglob("*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        own_channel = channel_package(module, root)
        for line, name in imports(path):
            where = f"{path.relative_to(root)}:{line} imports {name}"
            if layer == "ticketing" and within(name, CHANNEL_LIBRARIES):
                problems.append(where + " (the core knows no channel)")
            if name.split(".")[0] not in LAYERS:
                continue
            if not within(name, ALLOWED[layer]):
                problems.append(where)
            elif layer == "adapters" and within(name, (STORE,)):
                problems.append(where + " (channels use ticketing.ports, not the store)")
            elif layer == "adapters" and channel_package(name, root) not in (None, own_channel):
                problems.append(where + " (a channel never imports a sibling channel)")
    return problems


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_point_inward(layer: str) -> None:
    assert (PROJECT / layer).is_dir()
    assert violations(layer) == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from gateway.cli import main\nimport ticketing.store.sqlite\nimport json\n")
    assert [name for _, name in project_imports(bad)] == ["gateway.cli.main", "ticketing.store.sqlite"]


def test_the_checker_sees_each_kind_of_violation(tmp_path: Path) -> None:
    for folder in ("adapters/fax", "adapters/slack", "ticketing"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "adapters/fax/send.py").write_text(
        "from adapters.slack.read import CHANNEL\nimport ticketing.store.sqlite\nfrom adapters.channel import Sender\n"
    )
    (tmp_path / "ticketing/core.py").write_text("import slack_sdk\nfrom adapters.fax.send import x\n")
    assert violations("adapters", tmp_path) == [
        "adapters/fax/send.py:1 imports adapters.slack.read.CHANNEL (a channel never imports a sibling channel)",
        "adapters/fax/send.py:2 imports ticketing.store.sqlite (channels use ticketing.ports, not the store)",
    ]
    assert violations("ticketing", tmp_path) == [
        "ticketing/core.py:1 imports slack_sdk (the core knows no channel)",
        "ticketing/core.py:2 imports adapters.fax.send.x",
    ]


@pytest.mark.parametrize(
    ("module", "package"),
    [("adapters.slack.read", "slack"), ("adapters.relay", "relay"), ("adapters.channel", None), ("gateway.cli", None)],
)
def test_channel_packages_are_told_from_shared_modules(module: str, package: str | None) -> None:
    assert channel_package(module) == package


def test_every_file_the_code_reads_is_installed_with_it() -> None:
    """An installed (not editable) copy, as the Dockerfile makes, has the pages' templates and stylesheets:
    every file in the packages that is not Python matches the package data of pyproject.toml."""
    import tomllib
    from fnmatch import fnmatch

    patterns = tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    data = [
        path.relative_to(package_dir.parent)
        for layer in LAYERS
        for package_dir in [PROJECT / layer]
        for path in package_dir.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    ]
    assert data, "the packages hold templates"
    missing = [
        str(path)
        for path in data
        if not any(fnmatch(path.relative_to(path.parts[0]).as_posix(), f"*{p}") for p in patterns)
    ]
    assert missing == []
