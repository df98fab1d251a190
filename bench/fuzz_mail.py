"""`make fuzz`: read 100,000 mutated mails as the gateway does (parse + normalize) and report crashes and slow reads.

Seeded, so a finding can be replayed: each input is one of the project's MIME and reply fixtures (or a body of
theirs in a plain mail) with a few mutations from `MUTATIONS` applied (bytes flipped, lines repeated thousands of
times, header-like lines, long lines, nested multiparts, cut short, binary junk). A crash is any exception other
than `MailParseError` (which the gateway quarantines with a reason); a slow read is one over `--slow` seconds.
Runs on every core in worker processes, in chunks of 50 inputs; a chunk that outlasts its limit is read again one
input at a time, so the input that hangs is named (and killed at `HANG_SECONDS`) rather than waited for.

    .venv/bin/python -m bench.fuzz_mail [--count 100000] [--seed 1] [--slow 1.0]
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import time
import traceback
from collections.abc import Callable
from concurrent.futures import TimeoutError as ChunkTimeout
from datetime import UTC, datetime
from pathlib import Path

from pebble import ProcessPool

from adapters.email.parse import MailParseError
from adapters.email.reader import EmailReadOptions, parse_committed_mail
from normalizer import LanguageDetector, Normalizer

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
OPTIONS = EmailReadOptions("TL", "es", 10_000_000, "soporte@tecnolinux.com", frozenset({"tecnolinux.com"}))
AT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
CHUNK = 50
CHUNK_SECONDS = 120
HANG_SECONDS = 30
HEADERISH = [
    b"Subject: x", b"From: a@b.c", b"De: Ana", b"> quoted", b"-- ", b"________________", b"Saludos,", b"--x",
    b"On Mon, 1 Jan 2024 at 10:00, Ana <a@b.c> wrote:", b"-----Mensaje original-----", b"Enviado desde mi iPhone",
    b"=?utf-8?q?caf=C3=A9?=", b"Content-Type: multipart/mixed; boundary=x", b"<div>", b"\t",
]  # fmt: skip


@functools.cache
def corpus() -> list[bytes]:
    """Every fixture mail, and every reply fixture as the body of a plain mail."""
    mails = [path.read_bytes() for path in sorted((FIXTURES / "mime").rglob("*")) if path.is_file()]
    head = b"From: Ana <ana@andina.com.co>\r\nTo: soporte@tecnolinux.com\r\nSubject: Ayuda\r\n\r\n"
    quotes = FIXTURES / "quotes"
    bodies = [head + path.read_bytes() for path in sorted(quotes.rglob("*.txt")) if "expected" not in path.parts]
    return mails + bodies


def _flip(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    spots = bytearray(data)
    for _ in range(rng.randint(1, 20)):
        spots[rng.randrange(len(spots))] = rng.randrange(256)
    return bytes(spots)


def _repeat_line(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    index = rng.randrange(len(lines))
    return b"\n".join(lines[:index] + [lines[index]] * rng.choice([10, 100, 2_000, 8_000]) + lines[index:])


def _insert_headerish(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    index = rng.randrange(len(lines) + 1)
    inserted = [rng.choice(HEADERISH) for _ in range(rng.choice([1, 10, 500, 3_000]))]
    return b"\n".join(lines[:index] + inserted + lines[index:])


def _long_line(rng: random.Random, data: bytes) -> bytes:
    index = rng.randrange(len(data) + 1)
    return data[:index] + rng.choice(HEADERISH) * rng.choice([100, 5_000, 20_000]) + data[index:]


def _cut(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _junk(rng: random.Random, data: bytes) -> bytes:
    index = rng.randrange(len(data) + 1)
    return data[:index] + rng.randbytes(rng.choice([16, 1_000, 50_000])) + data[index:]


def _nest(rng: random.Random, data: bytes) -> bytes:
    depth = rng.choice([5, 50, 500])
    opening = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (n, n) for n in range(depth))
    return b"From: a@b.c\r\nTo: soporte@tecnolinux.com\r\n" + opening + data


def _crlf(rng: random.Random, data: bytes) -> bytes:
    return data.replace(b"\n", rng.choice([b"\r\n", b"\r", b"\n\n", b"\r\r\n"]))


MUTATIONS: list[Callable[[random.Random, bytes], bytes]] = [
    _flip, _repeat_line, _insert_headerish, _long_line, _cut, _junk, _nest, _crlf,
]  # fmt: skip


def mutant(mails: list[bytes], seed: int) -> bytes:
    rng = random.Random(seed)
    data = rng.choice(mails)
    for _ in range(rng.randint(1, 3)):
        data = rng.choice(MUTATIONS)(rng, data)
    return data[:2_000_000]


def run_chunk(first: int, count: int, slow: float) -> tuple[int, list[str], list[str], float]:
    """Read inputs `first`..`first + count`; (inputs read, crashes, slow reads, longest read)."""
    mails = corpus()
    normalizer = Normalizer("TL", LanguageDetector("es"), frozenset({"tecnolinux.com"}))
    crashes: list[str] = []
    slow_reads: list[str] = []
    longest = 0.0
    for seed in range(first, first + count):
        raw = mutant(mails, seed)
        started = time.perf_counter()
        try:
            normalizer.normalize(parse_committed_mail(raw, AT, {"mail_from": "x@y.z"}, OPTIONS))
        except MailParseError:
            pass
        except Exception:
            crashes.append(f"seed {seed}: {traceback.format_exc(limit=3).strip().splitlines()[-1]}")
        took = time.perf_counter() - started
        longest = max(longest, took)
        if took > slow:
            slow_reads.append(f"seed {seed}: {took:.2f} s, {len(raw):,} bytes")
    return count, crashes, slow_reads, longest


def read_all(
    pool: ProcessPool, first: int, count: int, slow: float
) -> tuple[int, list[str], list[str], float, list[str]]:
    """Every chunk in the pool; a chunk past its limit is read again input by input, naming what hangs."""
    read, crashes, slow_reads, longest, hung = 0, [], [], 0.0, []
    starts = range(first, first + count, CHUNK)
    futures = {start: pool.schedule(run_chunk, (start, min(CHUNK, first + count - start), slow), timeout=CHUNK_SECONDS)
               for start in starts}  # fmt: skip
    for number, (start, future) in enumerate(futures.items(), 1):
        try:
            results = [future.result()]
        except ChunkTimeout:
            singles = [pool.schedule(run_chunk, (seed, 1, slow), timeout=HANG_SECONDS)
                       for seed in range(start, min(start + CHUNK, first + count))]  # fmt: skip
            results = []
            for seed, single in zip(range(start, start + CHUNK), singles, strict=False):
                try:
                    results.append(single.result())
                except ChunkTimeout:
                    hung.append(f"seed {seed}: no answer in {HANG_SECONDS} s")
        for done, chunk_crashes, chunk_slow, chunk_longest in results:
            read += done
            crashes += chunk_crashes
            slow_reads += chunk_slow
            longest = max(longest, chunk_longest)
        if number % 200 == 0:
            print(f"  {read:,} read; crashes {len(crashes)}, slow {len(slow_reads)}, hung {len(hung)}", flush=True)
    return read, crashes, slow_reads, longest, hung


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1, help="the first input's seed (inputs are seed, seed+1, …)")
    parser.add_argument("--slow", type=float, default=1.0, help="a read slower than this many seconds is reported")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print(f"corpus: {len(corpus())} fixture mails; reading {args.count:,} mutants from seed {args.seed}", flush=True)
    started = time.perf_counter()
    with ProcessPool(max_workers=args.workers) as pool:
        read, crashes, slow_reads, longest, hung = read_all(pool, args.seed, args.count, args.slow)
    seconds = time.perf_counter() - started
    print(f"read {read:,} mutated mails in {seconds:.0f} s ({read / seconds:,.0f}/s)")
    print(f"crashes: {len(crashes)}; reads over {args.slow:g} s: {len(slow_reads)}; hung: {len(hung)}")
    print(f"longest read: {longest:.3f} s")
    for line in [*crashes, *slow_reads, *hung][:50]:
        print("  " + line)
    if crashes or slow_reads or hung:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
