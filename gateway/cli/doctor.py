"""`gateway doctor`: tries the store and every enabled channel's peers for real and prints what it found, one row per
check (subject, check, result, hint). The exit status is 0 only when every check passed.

The store: SQLite's file is read without being created or migrated (a missing file is fine: `gateway run` creates
it), its schema version is compared with this release's, and the free disk under it is measured; PostgreSQL is
connected to with the URL from the environment and its schema version read. Channels: each one that implements
`adapters.channel.Checkable` runs its own checks; the others are named as not checked. Secrets are looked up, never
printed: a missing one is reported by the name of its environment variable.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from adapters.channel import Checkable, CheckResult
from gateway.config.loader import Settings
from ticketing.store.schema import MIGRATIONS

MIN_FREE_BYTES = 1 << 30  # below 1 GiB of free disk, a busy desk's SQLite store and attachments fill it in days
CHANNEL_TIMEOUT_SECONDS = 60.0
STORE_TIMEOUT_SECONDS = 10.0


def _behind(version: int) -> str:
    return f"schema version {version}, this release's is {len(MIGRATIONS)}"


def sqlite_checks(path: Path) -> list[CheckResult]:
    """The SQLite store's file: readable, migrated, and room on its disk."""
    check = f"read {path}"
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    disk = CheckResult(
        "store",
        f"free disk under {existing}",
        free >= MIN_FREE_BYTES,
        f"{free / (1 << 30):.1f} GiB free",
        "" if free >= MIN_FREE_BYTES else "free some space, or move [store] path to a larger disk",
    )
    if not path.exists():
        return [CheckResult("store", check, True, "not created yet: `gateway run` creates it"), disk]
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=STORE_TIMEOUT_SECONDS) as connection:
            row = connection.execute("SELECT MAX(version) FROM schema_version").fetchone()
    except sqlite3.Error as error:
        return [CheckResult("store", check, False, f"cannot read it: {error}", "check the path and permissions"), disk]
    return [_version_result(check, int(row[0] or 0)), disk]


def _version_result(check: str, version: int) -> CheckResult:
    if version == len(MIGRATIONS):
        return CheckResult("store", check, True, f"schema version {version}, up to date")
    if version < len(MIGRATIONS):
        return CheckResult("store", check, False, _behind(version), "`gateway run` migrates it when it starts")
    return CheckResult("store", check, False, _behind(version), "a newer gateway migrated it: upgrade this one")


async def postgres_checks(url: str | None, url_env: str | None) -> list[CheckResult]:
    """The PostgreSQL store: reachable with the URL in `url_env`, and migrated."""
    import asyncpg  # loaded only by gateways that use PostgreSQL

    check = f"connect with {url_env or 'no url_env'}"
    if not url:
        return [CheckResult("store", check, False, f"{url_env} is not set", "set it in the gateway's environment")]
    try:
        connection = await asyncpg.connect(url, timeout=STORE_TIMEOUT_SECONDS)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return [CheckResult("store", check, False, f"cannot connect: {error}", "check the server and the URL")]
    try:
        exists = await connection.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
        version = await connection.fetchval("SELECT MAX(version) FROM schema_version") if exists else 0
    except asyncpg.PostgresError as error:
        return [CheckResult("store", check, False, f"cannot read the schema version: {error}", "")]
    finally:
        await connection.close()
    return [_version_result(check, int(version or 0))]


async def channel_checks(settings: Settings) -> tuple[list[CheckResult], list[str]]:
    """Every enabled channel's findings, and the enabled channels that have no checks yet."""
    results: list[CheckResult] = []
    unchecked: list[str] = []
    for channel in settings.channels:
        section = settings.file.channel(channel.name)
        if section is None or not getattr(section, "enabled", True):
            continue
        if not isinstance(channel, Checkable):
            unchecked.append(channel.name)
            continue
        try:
            found = await asyncio.wait_for(
                channel.check(section, settings.secret, settings.data_path), CHANNEL_TIMEOUT_SECONDS
            )
        except TimeoutError:
            found = [CheckResult(channel.name, "every check", False, f"no answer in {CHANNEL_TIMEOUT_SECONDS:g} s")]
        results.extend(found)
    return results, unchecked


async def store_checks(settings: Settings) -> list[CheckResult]:
    store = settings.file.store
    if store.backend == "sqlite":
        return await asyncio.to_thread(sqlite_checks, settings.data_path(store.path))
    return await postgres_checks(settings.secret(store.url_env), store.url_env)


def table(results: Sequence[CheckResult], unchecked: Sequence[str]) -> str:
    """The findings as aligned columns; a failed row's hint under it."""
    rows = [("", "subject", "check", "result")]
    rows += [("ok" if r.ok else "FAIL", r.subject, r.check, r.detail) for r in results]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[3])
        hint = results[index - 1].hint if index and not results[index - 1].ok else ""
        if hint:
            lines.append(" " * (widths[0] + 2) + f"→ {hint}")
    if unchecked:
        lines.append(f"not checked (no checks for these channels yet): {', '.join(unchecked)}")
    passed = sum(r.ok for r in results)
    lines.append(f"{passed} of {len(results)} checks passed")
    return "\n".join(line.rstrip() for line in lines)


def doctor(settings: Settings, as_json: bool) -> tuple[int, str]:
    """(exit status, what to print)."""

    async def everything() -> tuple[list[CheckResult], list[str]]:
        store = await store_checks(settings)
        channels, unchecked = await channel_checks(settings)
        return store + channels, unchecked

    results, unchecked = asyncio.run(everything())
    status = 0 if all(result.ok for result in results) else 1
    if as_json:
        text = json.dumps(
            {"ok": status == 0, "checks": [asdict(r) for r in results], "not_checked": unchecked},
            ensure_ascii=False,
            indent=2,
        )
        return status, text
    return status, table(results, unchecked)
