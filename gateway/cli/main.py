"""The `gateway` command: run the gateway, check the configuration and (`doctor`) the servers and accounts it uses,
and look at SLAs, mail, tickets, the outbox and the SLA monitor's timers.

Every error is one clear line on stderr (exit 1; 2 for a bad argument), never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import json
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from gateway.cli.errors import CommandError
from gateway.config.loader import ConfigError, Settings, load_settings
from gateway.runtime.logs import configure_logging
from ticketing.types import Priority, Status

DEFAULT_CONFIG = "config/gateway.toml"


def version() -> str:
    """The installed package's version (the `gateway` command is the intake-gateway package's)."""
    try:
        return importlib.metadata.version("intake-gateway")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def utc_now() -> datetime:
    return datetime.now(UTC)


def _settings(args: argparse.Namespace, secrets: bool = False) -> Settings:
    """The configuration; `secrets=True` (run, check-config) also requires every named secret to be set."""
    return load_settings(Path(args.config), os.environ, check_secrets=secrets)


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def _parse_received(text: str, local: ZoneInfo, option: str = "--received") -> datetime:
    """An ISO 8601 instant; without an offset it is read in the SLA time zone (the desk's local time)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"{option}: not an ISO 8601 date and time: {text!r} (e.g. 2026-11-27T15:00:00-05:00)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=local)


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = _settings(args, secrets=True)
    file = settings.file
    print(
        f"{settings.path}: OK — {len(settings.organisations)} organisations, plans {', '.join(file.plans)}, "
        f"ticket prefix {file.gateway.ticket_prefix}"
    )
    for note in settings.notes:
        print(f"  note: {note}")
    return 0


def cmd_sla(args: argparse.Namespace) -> int:
    from gateway.config.sla_policy import build_sla_policy

    settings = _settings(args)
    policy = build_sla_policy(settings)
    received = _parse_received(args.received, ZoneInfo(settings.file.sla.timezone))
    try:
        result = policy.compute(Priority(args.priority), args.plan, received)
    except ValueError as error:
        raise CommandError(str(error)) from None
    if args.json:
        _print_json(result.to_json())
    else:
        data = result.to_json()
        agreed = "none: a date is agreed with the client (planned)"
        print(f"response_due:   {data['response_due'] or agreed}\nresolution_due: {data['resolution_due'] or agreed}")
        print("\n".join(result.explanation))
    return 0


def cmd_normalize(args: argparse.Namespace) -> int:
    from gateway.cli.normalize_command import normalize_file

    settings = _settings(args)
    result = normalize_file(settings, Path(args.file), args.channel, utc_now())
    if args.json:
        _print_json(result)
    else:
        for key, value in result.items():
            if key != "body":
                print(f"{key}: {value}")
        print("body:\n" + result["body"])
    return 0


async def _with_store(settings: Settings, work: Callable[[Any], Coroutine[Any, Any, int]]) -> int:
    from gateway.runtime.bootstrap import build_store

    config = settings.file.store
    if config.backend == "sqlite" and not settings.data_path(config.path).is_file():
        raise CommandError(f"no data yet: {settings.data_path(config.path)} does not exist (start the gateway first)")
    store = build_store(settings)
    await store.open()
    try:
        return await work(store)
    finally:
        await store.close()


def cmd_tickets(args: argparse.Namespace) -> int:
    from gateway.cli.store_commands import list_tickets, show_ticket, write_attachment

    settings = _settings(args)
    if args.tickets_command == "attachment":
        return asyncio.run(_with_store(settings, lambda store: write_attachment(store, args.number, args.position)))
    if args.tickets_command == "show":
        number, as_json, explain = args.number, args.json, args.explain
        return asyncio.run(_with_store(settings, lambda store: show_ticket(store, settings, number, as_json, explain)))
    return asyncio.run(_with_store(settings, lambda store: list_tickets(store, settings, args.status, args.json)))


def cmd_outbox(args: argparse.Namespace) -> int:
    from gateway.cli.store_commands import list_outbox, retry_outbox

    settings = _settings(args)
    if args.outbox_command == "retry":
        return asyncio.run(_with_store(settings, lambda store: retry_outbox(store, args.id, utc_now())))
    return asyncio.run(_with_store(settings, lambda store: list_outbox(store, settings, args.failed, args.json)))


def cmd_timers(args: argparse.Namespace) -> int:
    from gateway.cli.timer_commands import list_timers, run_timers
    from gateway.config.sla_policy import build_sla_policy
    from gateway.runtime.bootstrap import build_observer, sla_monitor

    settings = _settings(args)
    if args.timers_command == "list":
        return asyncio.run(_with_store(settings, lambda store: list_timers(store, settings, args.status, args.json)))
    at = _parse_received(args.at, ZoneInfo(settings.file.sla.timezone), "--at") if args.at else utc_now()
    sla = build_sla_policy(settings)

    def fire(store: Any) -> Coroutine[Any, Any, int]:
        monitor = sla_monitor(settings, store, sla, utc_now, build_observer(settings, sla))
        return run_timers(monitor, settings, at, args.json)

    return asyncio.run(_with_store(settings, fire))


def cmd_report(args: argparse.Namespace) -> int:
    from gateway.cli.report_command import make_report, parse_day, period, render, write

    settings = _settings(args)
    tz = ZoneInfo(settings.file.sla.timezone)
    since, until = period(parse_day(args.since, "--from"), parse_day(args.until, "--to"), tz)

    async def report(store: Any) -> int:
        made = await make_report(store, settings, since, until, args.org, utc_now())
        write(render(made, settings, args.format), args.output)
        return 0

    return asyncio.run(_with_store(settings, report))


def cmd_inbox(args: argparse.Namespace) -> int:
    from gateway.cli.store_commands import list_inbox, retry_inbox, show_inbox

    settings = _settings(args)
    if args.inbox_command == "show":
        return asyncio.run(_with_store(settings, lambda store: show_inbox(store, args.id, args.raw)))
    if args.inbox_command == "retry":
        return asyncio.run(_with_store(settings, lambda store: retry_inbox(store, args.id)))
    return asyncio.run(_with_store(settings, lambda store: list_inbox(store, settings, args.status, args.json)))


def cmd_doctor(args: argparse.Namespace) -> int:
    from gateway.cli.doctor import doctor

    status, text = doctor(_settings(args), args.json)
    print(text)
    return status


def cmd_backup(args: argparse.Namespace) -> int:
    from gateway.cli.backup import backup_store

    done = backup_store(_settings(args), Path(args.to))
    print(f"{done['path']}: {done['bytes']:,} bytes, {done['tickets']} tickets, integrity ok")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from gateway.runtime.bootstrap import build_gateway
    from gateway.runtime.supervisor import Supervisor, install_signal_handlers

    settings = _settings(args, secrets=True)
    configure_logging(settings.file.logging.format, settings.file.logging.level)

    async def main() -> None:
        stop = asyncio.Event()
        install_signal_handlers(stop)
        await Supervisor(build_gateway(settings, utc_now), sys.stdout).run(stop)

    try:
        asyncio.run(main())
    except OSError as error:  # e.g. the port is taken
        raise CommandError(f"cannot start: {error.strerror or error}") from None
    return 0


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (and exit 2), not the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="gateway", description="Omnichannel intake gateway for IT support desks.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    config = OneLineParser(add_help=False)
    config.add_argument(
        "--config", default=os.environ.get("GATEWAY_CONFIG", DEFAULT_CONFIG), help="gateway.toml (default: %(default)s)"
    )
    json_flag = OneLineParser(add_help=False)
    json_flag.add_argument("--json", action="store_true", help="print JSON")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("run", parents=[config], help="start the gateway").set_defaults(handler=cmd_run)
    commands.add_parser(
        "doctor", parents=[config, json_flag], help="try the store and every channel's servers and accounts for real"
    ).set_defaults(handler=cmd_doctor)
    backup = commands.add_parser("backup", parents=[config], help="copy the SQLite store, safely while it runs")
    backup.add_argument("--to", required=True, help="the backup's file (never overwritten)")
    backup.set_defaults(handler=cmd_backup)
    commands.add_parser("check-config", parents=[config], help="report every configuration problem").set_defaults(
        handler=cmd_check_config
    )
    sla = commands.add_parser("sla", parents=[config, json_flag], help="compute SLA deadlines")
    sla.add_argument("--priority", required=True, choices=[p.value for p in Priority])
    sla.add_argument("--plan", required=True)
    sla.add_argument(
        "--received",
        required=True,
        help="ISO 8601, e.g. 2026-11-27T15:00:00-05:00 or ...Z (no offset: the SLA time zone)",
    )
    sla.set_defaults(handler=cmd_sla)

    normalize = commands.add_parser("normalize", parents=[config, json_flag], help="show how a raw message is read")
    normalize.add_argument("file")
    normalize.add_argument("--channel", default="email", choices=["email"])
    normalize.set_defaults(handler=cmd_normalize)

    tickets = commands.add_parser("tickets", help="list or show tickets, write out an attachment").add_subparsers(
        dest="tickets_command", required=True, metavar="list|show|attachment"
    )
    listing = tickets.add_parser("list", parents=[config, json_flag])
    listing.add_argument("--status", choices=[status.value for status in Status])
    show = tickets.add_parser("show", parents=[config, json_flag])
    show.add_argument("number")
    show.add_argument("--explain", action="store_true", help="the SLA trace: how the deadlines count, what moved them")
    attachment = tickets.add_parser("attachment", parents=[config], help="write one attachment's bytes to stdout")
    attachment.add_argument("number")
    attachment.add_argument("position", type=int, help="its number in `gateway tickets show` (from 1)")
    for sub in (listing, show, attachment):
        sub.set_defaults(handler=cmd_tickets)

    outbox = commands.add_parser("outbox", help="list or retry outgoing replies").add_subparsers(
        dest="outbox_command", required=True, metavar="list|retry"
    )
    outbox_list = outbox.add_parser("list", parents=[config, json_flag])
    outbox_list.add_argument("--failed", action="store_true", help="only replies that failed or are dead")
    retry = outbox.add_parser("retry", parents=[config])
    retry.add_argument("id", type=int)
    for sub in (outbox_list, retry):
        sub.set_defaults(handler=cmd_outbox)

    timers = commands.add_parser("timers", help="the SLA monitor's warnings and breaches").add_subparsers(
        dest="timers_command", required=True, metavar="list|run"
    )
    timers_list = timers.add_parser("list", parents=[config, json_flag], help="what is scheduled, and when")
    timers_list.add_argument("--status", default="pending", choices=["pending", "fired", "cancelled", "all"])
    timers_run = timers.add_parser("run", parents=[config, json_flag], help="fire what is due at a moment")
    timers_run.add_argument("--at", help="ISO 8601 (no offset: the SLA time zone); default now")
    for sub in (timers_list, timers_run):
        sub.set_defaults(handler=cmd_timers)

    report = commands.add_parser("report", parents=[config], help="SLA compliance over a period")
    report.add_argument("--from", dest="since", required=True, help="first day (YYYY-MM-DD, desk time)")
    report.add_argument("--to", dest="until", required=True, help="last day, included")
    report.add_argument("--format", default="table", choices=["table", "csv", "json", "html"])
    report.add_argument("--org", help="one organisation's tickets (its id in customers.toml)")
    report.add_argument("--output", help="write to this file instead of stdout")
    report.set_defaults(handler=cmd_report)

    inbox = commands.add_parser("inbox", help="messages as received: quarantined, ignored, pending").add_subparsers(
        dest="inbox_command", required=True, metavar="list|show|retry"
    )
    inbox_list = inbox.add_parser("list", parents=[config, json_flag])
    inbox_list.add_argument("--status", default="quarantined", choices=["quarantined", "ignored", "pending", "done"])
    inbox_show = inbox.add_parser("show", parents=[config])
    inbox_show.add_argument("id", type=int)
    inbox_show.add_argument("--raw", action="store_true", help="write the message's bytes exactly as received")
    inbox_retry = inbox.add_parser("retry", parents=[config])
    inbox_retry.add_argument("id", type=int)
    for sub in (inbox_list, inbox_show, inbox_retry):
        sub.set_defaults(handler=cmd_inbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ConfigError as error:
        print(f"gateway: {len(error.problems)} configuration problem(s):", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except CommandError as error:
        print(f"gateway: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `gateway tickets list --json | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 0
    except Exception as error:  # last resort: one line, never a traceback
        print(f"gateway: error: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
