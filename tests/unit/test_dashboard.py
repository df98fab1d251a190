"""docs/grafana-dashboard.json reads only metrics the gateway serves: a metric renamed in the code breaks this test,
not an admin's dashboard."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prometheus_client import generate_latest

from gateway.runtime.counters import GatewayMetrics
from gateway.runtime.metrics import render_metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"
METRIC = re.compile(r"\b(gateway_[a-z_]+)")


def served_names() -> set[str]:
    counted = GatewayMetrics()
    counted.expect(["email"], ["email"])
    body = render_metrics({"inbox_pending": 0, "outbox_pending": 0}, {"new": 0}, {}, counted.registry).body
    assert isinstance(body, bytes)
    text = body.decode() + generate_latest(counted.registry).decode()
    return {match.group(1) for match in METRIC.finditer(text)}


def test_every_panel_reads_a_served_metric() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for expr in expressions for name in METRIC.findall(expr)}
    assert len(dashboard["panels"]) >= 10 and used
    assert used <= served_names(), used - served_names()
