"""The gateway's memory with 100,000 tickets in its SQLite store, against an empty store, in the same run.

The tickets are made the way the gateway makes them: 100,000 signed WhatsApp webhook bodies from as many numbers
(each a new ticket; not clients of the desk, so without SLA timers) are committed to the inbox and ticketed by the
gateway's own inbox pipeline (`build_gateway`, in this process, no HTTP); their acknowledgements are then marked
sent (nobody is there to take 100,000 of them). The database is kept in `bench/.cache` for the next run. Then
`gateway run` starts on it and on an empty store: RSS idle, and after the same burst of new webhooks (wrk, 10 s)
on each, with the burst's rate and the end-to-end rate (until every new message is ticketed and acknowledged).
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.report import save
from bench.webhook import ACCOUNT, SECRETS, drained_after, memory, peer, signed_requests, whatsapp_config, wrk
from gateway.config.loader import load_settings
from gateway.runtime.bootstrap import build_gateway
from gateway.runtime.logs import configure_logging
from tests.e2e.harness import gateway_process
from ticketing.intake import AcceptRequest

TICKETS = 100_000
CACHE = Path(__file__).with_name(".cache")


def body(n: int) -> bytes:
    number = f"+5732{n:08d}"
    form = {"MessageSid": f"SM{n:032x}", "AccountSid": ACCOUNT, "From": f"whatsapp:{number}",
            "To": "whatsapp:+573104934656", "WaId": number[1:], "ProfileName": f"Cliente {n}",
            "Body": f"Buenos días, el equipo {n} no enciende.", "NumMedia": "0"}  # fmt: skip
    return urlencode(form).encode()


async def seed(workdir: Path, tickets: int) -> float:
    """Tickets `tickets` messages through the gateway's inbox pipeline; seconds taken."""
    configure_logging("console", "warning")  # not 100,000 lines of "inbox.processed"
    settings = load_settings(workdir / "config" / "gateway.toml", SECRETS, check_secrets=True)
    gateway = build_gateway(settings, lambda: datetime.now(UTC))
    await gateway.store.open()
    started = time.perf_counter()
    try:
        for first in range(0, tickets, 1_000):
            await asyncio.gather(*(
                gateway.accept(AcceptRequest("whatsapp", f"SM{n:032x}", body(n), {}, datetime.now(UTC)))
                for n in range(first, first + 1_000)
            ))  # fmt: skip
            while await gateway.inbox.process_pending():
                pass
    finally:
        await gateway.store.close()
    return time.perf_counter() - started


def counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE outbox SET status = 'sent' WHERE status = 'pending'")
        found = {table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                 for table in ("tickets", "messages", "timers", "outbox")}  # fmt: skip
    found["database_mb"] = database.stat().st_size // 1_000_000
    return found


def measured(workdir: Path, api_port: int, http_port: int, smtp_port: int, load: Path) -> dict[str, float]:
    with gateway_process(workdir, smtp_port, http_port, env=SECRETS) as gateway:
        time.sleep(3)
        idle, _ = memory(gateway.process.pid)
        burst, drained = drained_after(http_port, lambda: wrk(http_port, load, 10))
        loaded, peak = memory(gateway.process.pid)
    return {"rss_idle_mb": idle, "rss_loaded_mb": loaded, "rss_peak_mb": peak, "burst_per_second": burst["per_second"],
            "end_to_end_per_second": burst["acknowledged"] / drained}  # fmt: skip


def main(tickets: int = TICKETS) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder, peer("twilio") as api_port:
        for name in ("empty", "many"):
            workdir = Path(folder) / name
            workdir.mkdir()
            smtp_port, http_port = whatsapp_config(workdir, api_port)
            database = workdir / "var" / "gateway.sqlite3"
            database.parent.mkdir(exist_ok=True)
            if name == "many":
                cached = CACHE / f"tickets-{tickets}.sqlite3"
                if not cached.exists():
                    results["seed_seconds"] = asyncio.run(seed(workdir, tickets))
                    CACHE.mkdir(exist_ok=True)
                    shutil.copyfile(database, cached)
                shutil.copyfile(cached, database)
                results["store"] = counts(database)
            load = workdir / "load.tsv"
            signed_requests(load, f"http://127.0.0.1:{http_port}/webhooks/twilio/whatsapp", 10_000_000, 60_000)
            results[name] = measured(workdir, api_port, http_port, smtp_port, load)
    text = table(results)
    print(text)
    save("many_tickets", results, text)
    return results


def row(name: str, run: dict[str, float]) -> str:
    return (f"| {name} | {run['rss_idle_mb']:.0f} | {run['rss_loaded_mb']:.0f} | {run['rss_peak_mb']:.0f} | "
            f"{run['burst_per_second']:,.0f} | {run['end_to_end_per_second']:,.0f} |")  # fmt: skip


def table(results: dict[str, Any]) -> str:
    empty, many, store = results["empty"], results["many"], results["store"]
    return "\n".join([
        f"### Memory with {store['tickets']:,} tickets ({store['messages']:,} messages, {store['timers']:,} timers, "
        f"a {store['database_mb']:,} MB SQLite file)",
        "",
        "| store | RSS idle MB | RSS after a 10 s webhook burst MB | peak MB | webhooks/s | end to end msg/s |",
        "|---|---:|---:|---:|---:|---:|",
        row("empty", empty),
        row(f"{store['tickets']:,} tickets", many),
    ])  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else TICKETS)
