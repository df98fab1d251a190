"""A real headless Chromium for the tests that look at pages (the web help desk, the HTML report), through
playwright; the tests skip, saying why, when Chromium or playwright is missing (`.ci/run` installs both)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = PROJECT / "test-output"  # screenshots, for people to look at
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    playwright = pytest.importorskip("playwright.async_api", reason="playwright is not installed (make test does)")
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does it)")
    async with playwright.async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        await launched.close()
