"""Twilio webhooks into `gateway run` (SQLite, `synchronous=FULL`) against a bare aiohttp server, in the same run.

The load comes from `wrk` (Debian's `wrk`; `apt-get install wrk`), a separate process, with 32 keep-alive
connections posting pre-signed WhatsApp webhooks from 1,000 customer numbers, each message new: first at full
load, then at about half the gateway's peak rate. The acknowledgements go to a fake Twilio Messages API on
loopback (`bench.peers`). Reported: acknowledgements per second and their latency (p50, p99, max) for the gateway
and the bare server, their ratio; end to end, the messages per second from the first request until every accepted
message is ticketed and its acknowledgement handed to Twilio (the inbox and outbox drained, read off `/metrics`);
the gateway's RSS idle and after the load. A run that loses a message is a failure, not a figure: every message
acknowledged must be in the store, read, and on a ticket.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from bench.report import save
from tests.conftest import free_port
from tests.e2e.harness import _env, gateway_process, write_config

ACCOUNT, TOKEN = "AC" + "0" * 32, "bench-auth-token"
SECRETS = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN}
T = TypeVar("T")
CUSTOMERS = 1_000
CONNECTIONS = 32
SCRIPT = Path(__file__).with_name("signed_requests.lua")
WHATSAPP = (
    '\n[channels.whatsapp]\nfrom_number = "+57 310 493 4656"\npublic_base_url = "http://127.0.0.1:{http}"\n'
    'api_base_url = "http://127.0.0.1:{api}"\n'
)


def signed_requests(path: Path, url: str, first: int, count: int) -> None:
    """`count` webhooks signed for `url` as Twilio signs them, one "signature<TAB>body" line each."""
    validator = RequestValidator(TOKEN)
    with path.open("w", encoding="utf-8") as out:
        for n in range(first, first + count):
            number = f"+5731{n % CUSTOMERS:08d}"
            sid = f"SM{n:032x}"
            form = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": ACCOUNT, "MessageType": "text",
                    "From": f"whatsapp:{number}", "To": "whatsapp:+573104934656", "WaId": number[1:],
                    "ProfileName": f"Cliente {n % CUSTOMERS}", "Body": f"Buenos días, la impresora {n} no imprime.",
                    "NumMedia": "0", "NumSegments": "1"}  # fmt: skip
            out.write(f"{validator.compute_signature(url, form)}\t{urlencode(form)}\n")


def wrk(port: int, requests: Path, seconds: int, pause_ms: int = 0) -> dict[str, Any]:
    """One wrk run (one thread, CONNECTIONS connections): its counts and latencies (see signed_requests.lua)."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(SCRIPT),
               f"http://127.0.0.1:{port}/webhooks/twilio/whatsapp", "--", str(requests), str(pause_ms)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["per_second"] = result["completed"] / (result["duration_us"] / 1e6)
    result["acknowledged"] = result["completed"] - result["non_2xx"]
    return result


@contextmanager
def peer(kind: str) -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bench.peers", kind, str(port)], env=_env())
    try:
        wait_until(lambda: get(f"http://127.0.0.1:{port}/count") is not None or kind == "bare", 15)
        time.sleep(0.5 if kind == "bare" else 0)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())
    except OSError:
        return None


def wait_until(check: Any, timeout: float, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(every)
    raise RuntimeError("timed out")


def whatsapp_config(workdir: Path, api_port: int) -> tuple[int, int]:
    """The example configuration on free ports, with WhatsApp sending to the fake Twilio on `api_port`; returns
    (SMTP, HTTP)."""
    smtp_port, http_port = write_config(workdir)
    config = workdir / "config" / "gateway.toml"
    config.write_text(config.read_text() + WHATSAPP.format(http=http_port, api=api_port))
    return smtp_port, http_port


def drained_after(http_port: int, load: Callable[[], T]) -> tuple[T, float]:
    """What `load()` returns, and the seconds from its start until the gateway's inbox and outbox are drained."""
    started = time.monotonic()
    result = load()
    wait_drained(http_port)
    return result, time.monotonic() - started


def wait_drained(http_port: int, timeout: float = 600) -> None:
    """Waits until the inbox and outbox are empty, asking /metrics four times a second (a scrape counts every
    table by state: asked for much more often, it would be the load being measured)."""
    wait_until(lambda: pending(http_port) == 0, timeout, every=0.25)


def pending(http_port: int) -> int:
    """Inbox and outbox items not finished yet, from the gateway's /metrics."""
    text = get(f"http://127.0.0.1:{http_port}/metrics") or ""
    unfinished = r'^gateway_(?:inbox_messages|outbox_replies)\{status="(?:pending|processing)"\} (\S+)$'
    found = re.findall(unfinished, text, re.M)
    return int(sum(float(value) for value in found))


def memory(pid: int) -> tuple[float, float]:
    """(RSS, peak RSS) of a process, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    values = {key: int(re.search(rf"^{key}:\s+(\d+)", status, re.M).group(1)) for key in ("VmRSS", "VmHWM")}  # type: ignore[union-attr]
    return values["VmRSS"] / 1024, values["VmHWM"] / 1024


def store_check(database: Path, acknowledged: int, sent_at_most: int) -> dict[str, int]:
    """What the store holds after the run; raises when an acknowledged message is missing or was not ticketed."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        statuses = dict(connection.execute("SELECT status, COUNT(*) FROM inbox GROUP BY status").fetchall())
        tickets = connection.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
        inbound = connection.execute("SELECT COUNT(*) FROM messages WHERE direction = 'in'").fetchone()[0]
    stored = sum(statuses.values())
    if not acknowledged <= stored <= sent_at_most or statuses.get("done", 0) != stored or inbound != stored:
        raise AssertionError(f"acknowledged {acknowledged}, sent at most {sent_at_most}; inbox {statuses}, "
                             f"inbound messages {inbound}")  # fmt: skip
    return {"stored": stored, "tickets": tickets, "inbound_messages": inbound}


def gateway_run(workdir: Path, seconds: int) -> dict[str, Any]:
    with peer("twilio") as api_port:
        smtp_port, http_port = whatsapp_config(workdir, api_port)
        url = f"http://127.0.0.1:{http_port}/webhooks/twilio/whatsapp"
        full_load, half_load = workdir / "full.tsv", workdir / "half.tsv"
        signed_requests(full_load, url, 0, 12_000 * seconds)
        signed_requests(half_load, url, 12_000 * seconds, 12_000 * seconds)
        with gateway_process(workdir, smtp_port, http_port, env=SECRETS) as gateway:
            time.sleep(2)
            idle_rss, _ = memory(gateway.process.pid)
            full, drained = drained_after(http_port, lambda: wrk(http_port, full_load, seconds))
            half_pause = max(0, int(2 * CONNECTIONS / full["per_second"] * 1000 - full["p50_us"] / 1000))
            half = wrk(http_port, half_load, seconds, half_pause)
            wait_drained(http_port)
            loaded_rss, peak_rss = memory(gateway.process.pid)
            acks = json.loads(get(f"http://127.0.0.1:{api_port}/count") or "{}")["count"]
        acknowledged = full["acknowledged"] + half["acknowledged"]
        check = store_check(workdir / "var" / "gateway.sqlite3", acknowledged, acknowledged + 2 * CONNECTIONS)
    return {"full": full, "half": half, "end_to_end_per_second": full["acknowledged"] / drained,
            "drain_seconds": drained, "twilio_messages": acks, "rss_idle_mb": idle_rss,
            "rss_loaded_mb": loaded_rss, "rss_peak_mb": peak_rss, **check}  # fmt: skip


def bare_run(workdir: Path, seconds: int) -> dict[str, Any]:
    with peer("bare") as port:
        requests = workdir / "bare.tsv"
        signed_requests(requests, f"http://127.0.0.1:{port}/webhooks/twilio/whatsapp", 0, 2_000)
        return wrk(port, requests, seconds)


def table(results: dict[str, Any]) -> str:
    gateway, bare = results["gateway"], results["bare"]
    full, half = gateway["full"], gateway["half"]

    def row(name: str, run: dict[str, Any]) -> str:
        errors = run["non_2xx"] + run["connect"] + run["read"] + run["timeout"]
        milliseconds = f"{run['p50_us'] / 1000:.1f} | {run['p99_us'] / 1000:.1f} | {run['max_us'] / 1000:.0f}"
        return f"| {name} | {run['per_second']:,.0f} | {milliseconds} | {errors} |"

    return "\n".join([
        "### Webhooks: Twilio WhatsApp, signed, 32 connections (wrk)",
        "",
        "| webhooks (32 connections) | per second | p50 ms | p99 ms | max ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
        row("bare aiohttp", bare),
        row("gateway, full load", full),
        row("gateway, half its peak", half),
        "",
        f"- gateway / bare: **{full['per_second'] / bare['per_second']:.3f}**",
        f"- end to end (ticket + acknowledgement at the fake Twilio): **{gateway['end_to_end_per_second']:,.0f} "
        f"messages/s** ({full['acknowledged']:,} messages drained in {gateway['drain_seconds']:.1f} s)",
        f"- store check: {gateway['stored']:,} stored = acknowledged (+ those cut off in flight), all read, "
        f"{gateway['inbound_messages']:,} on {gateway['tickets']:,} tickets",
        f"- RSS: idle {gateway['rss_idle_mb']:.0f} MB, after the load {gateway['rss_loaded_mb']:.0f} MB "
        f"(peak {gateway['rss_peak_mb']:.0f} MB)",
    ])  # fmt: skip


def main(seconds: int = 10) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("bench: error: wrk is not installed (apt-get install wrk)")
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        (workdir / "gateway").mkdir()
        results = {"gateway": gateway_run(workdir / "gateway", seconds), "bare": bare_run(workdir, seconds)}
    text = table(results)
    print(text)
    save("webhook", results, text)
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
