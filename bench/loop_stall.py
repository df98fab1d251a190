"""How long the event loop stalls while the gateway reads a 25 MB mail (the issue's limit: 50 ms).

Runs the pipeline's read step (parse + normalize) on the loop, in a worker thread, and as the gateway does it for
every mail, in a worker process, while a 5 ms ticker measures the longest gap. Also times the header-only Message-ID
read the SMTP intake does on the loop for every mail. Run: `.venv/bin/python -m bench.loop_stall`.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from datetime import UTC, datetime

from adapters.email.parse import native_id_of
from adapters.email.reader import EmailReader, EmailReadOptions, parse_committed_mail
from adapters.process_pool import ReadPool
from bench.report import save
from normalizer import LanguageDetector, Normalizer
from ticketing.types import InboxItem

TICK = 0.005


def big_mail(size: int = 25 * 1024 * 1024) -> bytes:
    attachment = base64.encodebytes(os.urandom(int(size * 0.74))).replace(b"\n", b"\r\n")
    head = (
        b"From: Ana <sistemas@andina.com.co>\r\nTo: soporte@tecnolinux.com\r\nSubject: Logs del servidor\r\n"
        b"Message-ID: <big-1@andina.com.co>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
        + "Adjunto los logs del servidor caído.\r\n".encode()
        + b'--b1\r\nContent-Type: application/octet-stream; name="logs.tar"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return head + attachment + b"\r\n--b1--\r\n"


async def longest_gap(work: asyncio.Future[object]) -> float:
    worst, last = 0.0, time.perf_counter()
    while not work.done():
        await asyncio.sleep(TICK)
        now = time.perf_counter()
        worst = max(worst, now - last - TICK)
        last = now
    await work
    return worst


async def main() -> None:
    raw = big_mail()
    options = EmailReadOptions("TL", "es", 30_000_000, "soporte@tecnolinux.com")
    normalizer = Normalizer("TL", LanguageDetector("es"))
    item = InboxItem(1, "email", "big-1@andina.com.co", raw, {}, datetime.now(UTC), "pending", 0, "")
    thread_only = EmailReader(options, normalizer, None)
    await thread_only(InboxItem(2, "email", "w", b"From: a@b\r\n\r\nhola", {}, item.received_at, "pending", 0, ""))

    async def inline() -> object:
        await asyncio.sleep(TICK * 2)
        return normalizer.normalize(parse_committed_mail(raw, item.received_at, {}, options))

    pool = ReadPool(workers=1, timeout=60)
    try:
        as_the_gateway = EmailReader(options, normalizer, pool)
        await as_the_gateway(item)  # start the worker process once, as the first large mail would
        started = time.perf_counter()
        on_loop = await longest_gap(asyncio.ensure_future(inline()))
        read_seconds = time.perf_counter() - started
        in_thread = await longest_gap(asyncio.ensure_future(thread_only(item)))
        started = time.perf_counter()
        in_process = await longest_gap(asyncio.ensure_future(as_the_gateway(item)))
        process_seconds = time.perf_counter() - started
    finally:
        await pool.close()
    started = time.perf_counter()
    native_id_of(raw)
    header_read = time.perf_counter() - started
    figures = {"mail_mb": len(raw) / 1024 / 1024, "read_on_loop_ms": read_seconds * 1000,
               "read_in_worker_ms": process_seconds * 1000, "stall_on_loop_ms": on_loop * 1000,
               "stall_in_thread_ms": in_thread * 1000, "stall_worker_process_ms": in_process * 1000,
               "message_id_on_loop_ms": header_read * 1000}  # fmt: skip
    text = "\n".join([
        f"### Event-loop stall while a {figures['mail_mb']:.0f} MB mail is read",
        "",
        "| read | longest stall of the event loop, ms |",
        "|---|---:|",
        f"| on the loop ({read_seconds * 1000:.0f} ms to read) | {on_loop * 1000:.1f} |",
        f"| in a thread | {in_thread * 1000:.1f} |",
        f"| in a worker process, as the gateway does ({process_seconds * 1000:.0f} ms) | {in_process * 1000:.1f} |",
        f"| only its Message-ID, on the loop (SMTP intake) | {header_read * 1000:.1f} |",
    ])  # fmt: skip
    print(text)
    save("loop_stall", figures, text)


if __name__ == "__main__":
    asyncio.run(main())
