"""The admin pages, as an aiohttp sub-app (the gateway mounts it at `/admin` when the admin password is set).

- `GET /admin`: each channel's state, its last message in, its queues and last error; the open tickets counted by
  SLA standing.
- `GET /admin/tickets`: the open tickets, grouped by standing (`ticketing.standing`), the most pressing first.
- `GET /admin/replies` (`?all=1`): the replies that failed, or all recent ones.
  `POST /admin/replies/{id}/retry` sends a dead reply again, or one waiting for its next attempt at once.
- `GET /admin/quarantine`: the messages that could not be read. `POST /admin/quarantine/{id}/requeue` reads one
  again; `GET /admin/quarantine/{id}/raw` downloads its raw bytes.
- `GET /admin/config`: the configuration in force, with secrets masked, and the last reload's outcome.
- `GET|POST /admin/login`, `POST /admin/logout` (`gateway.admin.signin`).

Every page but the sign-in needs a session, and every POST the page's CSRF token (`gateway.admin.frame`). An
action answers `303 See Other` to its list, with a line saying what was done. Actions are logged with the admin's
name; message bodies never are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from aiohttp import web

from gateway.admin.board import SHOWN_TICKETS, Board
from gateway.admin.config_view import effective_config, organisations
from gateway.admin.frame import Frame, item_id
from gateway.admin.signin import SignIn
from gateway.config.loader import Settings
from ticketing.ports import Requeueing, UnitOfWork
from ticketing.standing import STANDINGS

STANDING_LABELS = {
    "breached": "Breached",
    "warned": "Warned",
    "on_time": "On time",
    "waiting": "Waiting on the client",
    "not_covered": "No SLA deadline",
}


@dataclass(frozen=True)
class AdminDesk:
    """What the pages read and act on, besides the board."""

    settings: Callable[[], Settings]  # the configuration in force (a reload replaces it)
    reload_status: Callable[[], Mapping[str, Any]]
    store: UnitOfWork[Requeueing]
    wake_outbox: Callable[[], None]  # this gateway's workers; other replicas find the work on their next pass
    wake_inbox: Callable[[], None]
    max_attempts: int  # of a reply before it is dead


class AdminPages:
    def __init__(self, frame: Frame, board: Board, desk: AdminDesk, clock: Callable[[], datetime]) -> None:
        self._frame = frame
        self._board = board
        self._desk = desk
        self._clock = clock
        self._log = structlog.get_logger("gateway.admin")

    async def overview(self, request: web.Request) -> web.Response:
        channels = await self._board.channels()
        board = await self._board.tickets()
        context: dict[str, Any] = {
            "channels": channels,
            "board": board,
            "standings": STANDINGS,
            "standing_labels": STANDING_LABELS,
            "shown": SHOWN_TICKETS,
        }
        return await self._frame.render(request, "overview.html", "overview", **context)

    async def tickets(self, request: web.Request) -> web.Response:
        board = await self._board.tickets()
        warn = round(self._board.warn_share * 100)
        context: dict[str, Any] = {
            "board": board,
            "standings": STANDINGS,
            "standing_labels": STANDING_LABELS,
            "shown": SHOWN_TICKETS,
        }
        return await self._frame.render(request, "tickets.html", "tickets", warn_percent=warn, **context)

    async def replies(self, request: web.Request) -> web.Response:
        failed_only = request.query.get("all") != "1"
        items = await self._board.replies(failed_only)
        backlog, dead = await self._board.outbox_counts()
        context: dict[str, Any] = {"items": items, "failed_only": failed_only, "backlog": backlog, "dead": dead}
        return await self._frame.render(
            request, "replies.html", "replies", max_attempts=self._desk.max_attempts, **context
        )

    async def retry(self, request: web.Request) -> web.Response:
        outbox_id = item_id(request)
        async with self._desk.store.transaction() as tx:
            item = await tx.get_outbox(outbox_id)
            retried = item is not None and item.status != "sent" and await tx.requeue_outbox(outbox_id, self._clock())
        if not retried:
            raise self._frame.back(request, "replies", "not_retried", outbox_id)
        self._desk.wake_outbox()
        ticket = item.reply.ticket_number if item is not None else None
        self._log.info("admin.reply_retried", user=self._frame.user(request), outbox_id=outbox_id, ticket=ticket)
        raise self._frame.back(request, "replies", "retried", outbox_id)

    async def quarantine(self, request: web.Request) -> web.Response:
        items = await self._board.quarantine()
        return await self._frame.render(request, "quarantine.html", "quarantine", items=items)

    async def requeue(self, request: web.Request) -> web.Response:
        inbox_id = item_id(request)
        async with self._desk.store.transaction() as tx:
            requeued = await tx.requeue_inbox(inbox_id)
        if not requeued:
            raise self._frame.back(request, "quarantine", "not_requeued", inbox_id)
        self._desk.wake_inbox()
        self._log.info("admin.message_requeued", user=self._frame.user(request), inbox_id=inbox_id)
        raise self._frame.back(request, "quarantine", "requeued", inbox_id)

    async def raw(self, request: web.Request) -> web.Response:
        item = await self._board.quarantined(item_id(request))
        if item is None:
            return await self._frame.notice(
                request, 404, "Not in the quarantine", "That message is not quarantined (any more)."
            )
        self._log.info("admin.raw_downloaded", user=self._frame.user(request), inbox_id=item.id)
        name = f"quarantine-{item.id}.{'eml' if item.channel == 'email' else 'txt'}"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        return web.Response(body=item.raw, content_type="application/octet-stream", headers=disposition)

    async def config(self, request: web.Request) -> web.Response:
        settings = self._desk.settings()
        status = dict(self._desk.reload_status())
        loaded_at = datetime.fromisoformat(str(status["loaded_at"])) if status.get("loaded_at") else self._clock()
        context: dict[str, Any] = {"sections": effective_config(settings), "organisations": organisations(settings)}
        return await self._frame.render(
            request, "config.html", "config", path=str(settings.path), reload=status, loaded_at=loaded_at, **context
        )


def admin_app(frame: Frame, pages: AdminPages) -> web.Application:
    """The sub-app to mount at `/admin`."""
    signin = SignIn(frame)
    app = web.Application(middlewares=[frame.guard])
    app.router.add_get("", pages.overview, name="overview")
    app.router.add_get("/", pages.overview)
    app.router.add_get("/login", signin.show, name="login")
    app.router.add_post("/login", signin.login)
    app.router.add_post("/logout", signin.logout, name="logout")
    app.router.add_get("/tickets", pages.tickets, name="tickets")
    app.router.add_get("/replies", pages.replies, name="replies")
    app.router.add_post("/replies/{id}/retry", pages.retry, name="retry")
    app.router.add_get("/quarantine", pages.quarantine, name="quarantine")
    app.router.add_post("/quarantine/{id}/requeue", pages.requeue, name="requeue")
    app.router.add_get("/quarantine/{id}/raw", pages.raw, name="raw")
    app.router.add_get("/config", pages.config, name="config")
    return app
