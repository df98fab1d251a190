"""`gateway backup --to FILE`: a consistent copy of the SQLite store, taken while the gateway runs.

SQLite's online backup API copies the database in one step inside a read transaction: in WAL mode the gateway goes
on writing meanwhile, and the copy is the store as it was at one moment, every committed message in it. The copy is
written under a temporary name, checked (`PRAGMA integrity_check`), and only then given its name: a file with the
final name is a whole, sound backup. An existing file is never overwritten. A PostgreSQL store is backed up with
`pg_dump`.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from gateway.cli.errors import CommandError
from gateway.config.loader import Settings

BUSY_TIMEOUT_SECONDS = 30.0


def backup_store(settings: Settings, target: Path) -> dict[str, Any]:
    store = settings.file.store
    if store.backend != "sqlite":
        raise CommandError("a PostgreSQL store is backed up with pg_dump (README, Deploying)")
    return backup_sqlite(settings.data_path(store.path), target)


def backup_sqlite(source: Path, target: Path) -> dict[str, Any]:
    """Copy `source` to `target`; what was copied (path, bytes, tickets)."""
    if not source.exists():
        raise CommandError(f"no store at {source}: nothing to back up")
    if target.exists():
        raise CommandError(f"{target} exists: give the backup a new name")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with (
            closing(sqlite3.connect(source, timeout=BUSY_TIMEOUT_SECONDS)) as live,
            closing(sqlite3.connect(partial)) as copy,
        ):
            live.backup(copy)  # all pages in one step: one moment of the store
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            tickets = copy.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise CommandError(f"cannot back up {source}: {error}") from None
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise CommandError(f"the copy of {source} failed its integrity check: {verdict}")
    partial.rename(target)
    return {"path": str(target), "bytes": target.stat().st_size, "tickets": tickets}
