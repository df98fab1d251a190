"""The benchmark report: `bench/results/latest.json` (every figure) and `latest.md` (the tables), by section.

Each benchmark saves its own section; the other sections of the last run stay, so `python -m bench.mail` alone
refreshes the email figures and keeps the webhook ones. `make bench` runs every section.
"""

from __future__ import annotations

import json
import os
import platform
import re
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results")
ORDER = ("store", "loop_stall", "webhook", "mail", "quotes")


def machine() -> dict[str, Any]:
    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
    return {"cores": os.cpu_count(), "cpu": cpu.group(1) if cpu else "", "python": platform.python_version()}


def save(section: str, figures: dict[str, Any], table: str, folder: Path = RESULTS) -> None:
    """Stores one section's figures and Markdown, then rewrites both files."""
    folder.mkdir(exist_ok=True)
    path = folder / "latest.json"
    report: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    report = {name: value for name, value in report.items() if isinstance(value, dict) and "table" in value}
    report[section] = {**figures, "machine": machine(), "table": table}
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    sections = sorted(report, key=lambda name: ORDER.index(name) if name in ORDER else len(ORDER))
    (folder / "latest.md").write_text("\n\n".join(report[name]["table"] for name in sections) + "\n")
