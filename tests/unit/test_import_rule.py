"""The inward import rule of the design: gateway -> adapters -> normalizer -> ticketing, checked on the AST."""

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
# Only the composition root picks a storage backend.
BACKENDS = ("ticketing.store.sqlite", "ticketing.store.postgres")


def project_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] in LAYERS]


def violations(layer: str) -> list[str]:
    problems = []
    for path in sorted((PROJECT / layer).rglob("*.py")):
        for line, name in project_imports(path):
            where = f"{path.relative_to(PROJECT)}:{line} imports {name}"
            if not any(name == prefix or name.startswith(prefix + ".") for prefix in ALLOWED[layer]):
                problems.append(where)
            elif layer != "gateway" and name.startswith(BACKENDS):
                problems.append(where + " (only gateway picks a store)")
    return problems


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_point_inward(layer: str) -> None:
    assert (PROJECT / layer).is_dir()
    assert violations(layer) == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from gateway.cli import main\nimport ticketing.store.sqlite\nimport json\n")
    assert [name for _, name in project_imports(bad)] == ["gateway.cli.main", "ticketing.store.sqlite"]
