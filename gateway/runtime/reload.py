"""Configuration changes without a restart: SIGHUP, or any change to a file under `config/`, re-reads and checks
everything as `check-config` does.

- A valid change is applied at once to what can change live: the organisations (`customers.toml`), the reply
  templates and their labels, the plans and the SLA's targets and calendar (`[plans]`, `[sla]` priorities, business
  hours, holidays, immediate minutes). The running parts adopt the new ones together, in one step of the event
  loop, each whole (a lookup sees all the old organisations or all the new): nothing in flight is dropped or handled
  twice, and deadlines already promised stay as they were.
- Any other changed setting (ports, the store, a channel's section, `[http]`, the SLA monitor's rules) is named as
  "needs a restart" in the log and in /healthz; the rest of the change still applies.
- An invalid change is refused: its problems are logged once, with the same file and line as `check-config`, and
  the running configuration stays until the files are fixed.

`status()` is what /healthz shows: the configuration's version (a digest of the files under `config/`) and when it
was loaded, the last refusal, and what needs a restart.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway.config.loader import ConfigError, Settings, composer, load_settings
from gateway.config.settings import GatewayFile
from gateway.config.sla_policy import build_sla_policy
from gateway.config.templates import TemplateComposer
from gateway.workers.worker import Worker
from ticketing.customers import CustomerDirectory
from ticketing.sla import SlaPolicy

POLL_SECONDS = 2.0
# What the running parts take from a reload; any other difference in gateway.toml needs a restart.
LIVE_SETTINGS = frozenset(
    {"plans", "sla.priorities", "sla.business_hours", "sla.holiday_country", "sla.extra_closed_dates"}
    | {"sla.immediate_minutes"}
)


@dataclass(frozen=True)
class LiveParts:
    """The running parts a reload updates in place (each shared by everything that uses it)."""

    directory: CustomerDirectory
    sla: SlaPolicy
    words: TemplateComposer


def fingerprint(folder: Path) -> str:
    """A digest of every file under `folder`, by name and content."""
    digest = hashlib.sha256()
    for path in sorted(found for found in folder.rglob("*") if found.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:  # removed or replaced while being read: the next pass sees it settled
            digest.update(b"\0unreadable")
    return digest.hexdigest()[:16]


def changed_settings(old: GatewayFile, new: GatewayFile) -> list[str]:
    """The settings of gateway.toml that differ, by section (`http`, `outbox`) or, in `[sla]` and `[channels]`, by
    their own key (`sla.warning_at`, `channels.email`)."""
    before, after = old.model_dump(mode="json"), new.model_dump(mode="json")
    names: list[str] = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        if key in ("sla", "channels") and isinstance(was, dict) and isinstance(now, dict):
            names += [f"{key}.{sub}" for sub in sorted(set(was) | set(now)) if was.get(sub) != now.get(sub)]
        elif was != now:
            names.append(key)
    return names


class ConfigReloader(Worker):
    """Reloads the configuration when asked (`request`, on SIGHUP) or when a file under `config/` changed."""

    def __init__(
        self,
        settings: Settings,
        live: LiveParts,
        clock: Callable[[], datetime],
        poll_seconds: float = POLL_SECONDS,
        load: Callable[[Path, Any], Settings] = lambda path, env: load_settings(path, env),
        on_reload: Callable[[bool], None] = lambda applied: None,
    ) -> None:
        super().__init__("config", error_wait=poll_seconds)
        self._settings = settings
        self._started = settings.file  # what the parts that cannot change live were built from
        self._live = live
        self._clock = clock
        self._poll = poll_seconds
        self._load = load
        self._on_reload = on_reload  # each reload's outcome: applied or refused (metrics)
        self._folder = settings.path.parent
        self._version = fingerprint(self._folder)
        self._loaded_at = clock()
        self._requested = False
        self._last_error: str | None = None
        self._needs_restart: list[str] = []

    @property
    def settings(self) -> Settings:
        """The configuration in force: the last one loaded that was valid."""
        return self._settings

    @property
    def live(self) -> LiveParts:
        return self._live

    def request(self) -> None:
        """Reload now, changed or not (SIGHUP)."""
        self._requested = True
        self.notify()

    def status(self) -> dict[str, Any]:
        return {
            "version": self._version,
            "loaded_at": self._loaded_at.isoformat(),
            "last_reload_error": self._last_error,
            "needs_restart": list(self._needs_restart),
        }

    async def work_pass(self) -> float:
        version = await asyncio.to_thread(fingerprint, self._folder)
        if version != self._version or self._requested:
            self._requested = False
            await self.reload(version)
        return self._poll

    def _prepare(self) -> tuple[Settings, LiveParts]:
        """Read and check the configuration, and build what the running parts adopt (in a thread: it takes a
        tenth of a second, the templates rendered with sample facts)."""
        settings = self._load(self._settings.path, self._settings.env)
        return settings, LiveParts(
            CustomerDirectory(settings.organisations), build_sla_policy(settings), composer(settings)
        )

    async def reload(self, version: str) -> bool:
        """Read, check and apply the configuration whose files have digest `version`; False when it was refused."""
        try:
            settings, fresh = await asyncio.to_thread(self._prepare)
        except Exception as error:  # a ConfigError's problems; anything else (a file being replaced) as itself
            problems = (
                [str(problem) for problem in error.problems]
                if isinstance(error, ConfigError)
                else [f"cannot read the configuration: {type(error).__name__}: {error}"]
            )
            refusal = f"{len(problems)} problem(s): " + "; ".join(problems)
            if refusal != self._last_error:  # once per refusal, not at every pass while the file stays broken
                self._log.error("config.reload_refused", version=version, problems=problems)
            self._last_error, self._version = refusal, version
            self._on_reload(False)
            return False
        restart = [name for name in changed_settings(self._started, settings.file) if name not in LIVE_SETTINGS]
        self._live.directory.adopt(fresh.directory)  # these three in one step of the event loop
        self._live.sla.adopt(fresh.sla)
        self._live.words.adopt(fresh.words)
        self._settings, self._version, self._loaded_at = settings, version, self._clock()
        self._last_error, self._needs_restart = None, restart
        self._on_reload(True)
        self._log.info(
            "config.reloaded", version=version, organisations=len(settings.organisations), needs_restart=restart
        )
        return True
