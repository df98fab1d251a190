"""Email end to end: the 1,000-mail corpus (`bench.corpus`) into `gateway run` over SMTP, against django-helpdesk.

In the same run and on the same files:
- the normalizer alone: parse + normalize in this process, one core, mails per second;
- the gateway (SQLite, `synchronous=FULL`): 8 SMTP clients (`smtplib`) hand it the corpus; reported are the SMTP
  accepts per second (250 answered only after the commit) and the end-to-end rate, from the first connection
  until every mail is ticketed and its acknowledgement handed to the outgoing relay (an SMTP sink on loopback);
  a run that loses a mail fails (every mail must be stored, read and on a ticket);
- django-helpdesk 2.6.1's `get_email` on the same files (`bench.helpdesk`), its acknowledgements to the same sink.
"""

from __future__ import annotations

import smtplib
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from adapters.email.reader import EmailReadOptions, read_in_worker
from bench.corpus import SUPPORT, write_corpus
from bench.helpdesk import run_helpdesk, smtp_sink
from bench.report import save
from bench.webhook import drained_after, memory, store_check
from tests.e2e.harness import gateway_process, sink_outgoing, write_config

MAILS = 1_000
CLIENTS = 8
CACHE = Path(__file__).with_name(".cache")


def envelopes(paths: list[Path]) -> list[tuple[str, bytes]]:
    """(envelope sender, raw bytes) of each mail, read before any clock starts."""
    found = []
    for path in paths:
        raw = path.read_bytes()
        sender = parseaddr(str(BytesHeaderParser().parsebytes(raw)["From"]))[1]
        found.append((sender, raw))
    return found


def send_all(port: int, mails: list[tuple[str, bytes]]) -> float:
    """Hands every mail to the SMTP server on `port` over CLIENTS connections; seconds until the last 250."""

    def client(share: list[tuple[str, bytes]]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
            for sender, raw in share:
                smtp.sendmail(sender, [SUPPORT], raw)

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, [mails[n::CLIENTS] for n in range(CLIENTS)]))
    return time.perf_counter() - started


def normalizer_rate(mails: list[tuple[str, bytes]]) -> float:
    """Parse + normalize as the gateway's reader does, in this process: mails per second on one core."""
    options = EmailReadOptions("TL", "es", 10_000_000, SUPPORT, frozenset({"tecnolinux.com"}))
    now = datetime.now(UTC)
    read_in_worker(mails[0][1], now, {}, options)  # the language model loads once per process
    started = time.perf_counter()
    for _, raw in mails:
        read_in_worker(raw, now, {}, options)
    return len(mails) / (time.perf_counter() - started)


def gateway_run(workdir: Path, mails: list[tuple[str, bytes]], sink_port: int) -> dict[str, Any]:
    smtp_port, http_port = write_config(workdir, outgoing=sink_outgoing(sink_port))
    with gateway_process(workdir, smtp_port, http_port) as gateway:
        time.sleep(2)
        idle_rss, _ = memory(gateway.process.pid)
        smtp_seconds, drained = drained_after(http_port, lambda: send_all(smtp_port, mails))
        loaded_rss, peak_rss = memory(gateway.process.pid)
    check = store_check(workdir / "var" / "gateway.sqlite3", len(mails), len(mails))
    return {"smtp_per_second": len(mails) / smtp_seconds, "end_to_end_per_second": len(mails) / drained,
            "seconds": drained, "rss_idle_mb": idle_rss, "rss_loaded_mb": loaded_rss, "rss_peak_mb": peak_rss,
            **check}  # fmt: skip


def table(results: dict[str, Any]) -> str:
    gateway, helpdesk = results["gateway"], results["helpdesk"]
    return "\n".join([
        f"### Email: {results['mails']:,} support mails (bench/corpus.py), gateway vs django-helpdesk "
        f"{helpdesk['version']}",
        "",
        "| email | mails/s | seconds | tickets | acknowledgements sent | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|",
        f"| gateway, SMTP in → ticket → acknowledgement relayed | {gateway['end_to_end_per_second']:,.0f} | "
        f"{gateway['seconds']:.1f} | {gateway['tickets']:,} | {gateway['acknowledgements']:,} | "
        f"{gateway['rss_peak_mb']:.0f} |",
        f"| django-helpdesk `get_email` (local folder) | {helpdesk['per_second']:,.0f} | {helpdesk['seconds']:.1f} | "
        f"{helpdesk['tickets']:,} | {helpdesk['acknowledgements']:,} | {helpdesk['rss_peak_mb']:.0f} |",
        "",
        f"- gateway / django-helpdesk: **{results['ratio']:.1f}×**",
        f"- SMTP accepts (250 after the commit, {CLIENTS} clients): **{gateway['smtp_per_second']:,.0f} mails/s**",
        f"- normalizer alone (parse + normalize, one core): **{results['normalizer_per_second']:,.0f} mails/s**",
        f"- store check: {gateway['stored']:,} stored, all read, {gateway['inbound_messages']:,} on "
        f"{gateway['tickets']:,} tickets; RSS idle {gateway['rss_idle_mb']:.0f} MB, "
        f"after {gateway['rss_loaded_mb']:.0f} MB",
    ])  # fmt: skip


def main(count: int = MAILS) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        paths = write_corpus(workdir / "corpus", count)
        mails = envelopes(paths)
        results: dict[str, Any] = {"mails": count, "normalizer_per_second": normalizer_rate(mails)}
        with smtp_sink() as (sink, port):
            (workdir / "gateway").mkdir()
            results["gateway"] = gateway_run(workdir / "gateway", mails, port) | {"acknowledgements": sink.received}
            sink.received = 0
            results["helpdesk"] = run_helpdesk(workdir / "corpus", port, CACHE) | {"acknowledgements": sink.received}
    results["ratio"] = results["gateway"]["end_to_end_per_second"] / results["helpdesk"]["per_second"]
    text = table(results)
    print(text)
    save("mail", results, text)
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else MAILS)
