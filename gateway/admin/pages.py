"""The admin pages, as an aiohttp sub-app (the gateway mounts it at `/admin` when the admin password is set).

- `GET /admin`: each channel's state, its last message in, its queues and last error; the open tickets counted by
  SLA standing.
- `GET /admin/tickets`: the open tickets, grouped by standing (`ticketing.standing`), the most pressing first.
- `GET /admin/replies` (`?all=1`): the replies that failed, or all recent ones.
  `POST /admin/replies/{id}/retry` sends a dead reply again, or one waiting for its next attempt at once.
- `GET /admin/quarantine`: the messages that could not be read. `POST /admin/quarantine/{id}/requeue` reads one
  again; `GET /admin/quarantine/{id}/raw` downloads its raw bytes.
- `GET /admin/config`: the configuration in force, with secrets masked, and the last reload's outcome.
- `GET|POST /admin/login`, `POST /admin/logout`.

Every page but the sign-in needs a session (`gateway.admin.access`); without one, a GET is sent to the sign-in and
comes back after it. Every POST needs the CSRF token of the page it came from: 403 without it, and nothing changes.
An action answers `303 See Other` to its list, with a line saying what was done. Pages are Jinja2 with autoescape,
on the help desk's stylesheet. Actions are logged with the admin's name; message bodies never are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import structlog
from aiohttp import web

from adapters.local_time import gmt_label
from adapters.web.pages import CSP
from adapters.web.pages import TEMPLATES_DIR as HELP_DESK_TEMPLATES
from adapters.web.security import FIELD_NAME, came_over_tls, client_address
from gateway.admin.access import CSRF_COOKIE, SESSION_COOKIE, AdminAccess
from gateway.admin.board import SHOWN_TICKETS, Board
from gateway.admin.config_view import effective_config, organisations
from gateway.admin.timing import relative, when
from gateway.config.loader import Settings
from ticketing.ports import Requeueing, UnitOfWork
from ticketing.standing import STANDINGS
from ticketing.store.base import StoreError

TEMPLATES_DIR = Path(__file__).parent / "templates"
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
STANDING_LABELS = {
    "breached": "Breached",
    "warned": "Warned",
    "on_time": "On time",
    "waiting": "Waiting on the client",
    "not_covered": "No SLA deadline",
}
FAILED = "Try again in a moment. The gateway's log says what went wrong (admin.failed)."
DONE = {  # what an action says on the page it leads back to, by its outcome
    "retried": "Reply {id} is queued again: the gateway sends it within seconds.",
    "not_retried": "Reply {id} was sent already, or is not in the outbox: nothing changed.",
    "requeued": "Message {id} is back in the inbox: the gateway reads it again within seconds.",
    "not_requeued": "Message {id} is not in the quarantine any more: nothing changed.",
    "signed_out": "You are signed out.",
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
    def __init__(
        self,
        access: AdminAccess,
        board: Board,
        desk: AdminDesk,
        clock: Callable[[], datetime],
        tz: ZoneInfo,
        company: str,
        trusted_proxies: frozenset[str] = frozenset(),
    ) -> None:
        self._access = access
        self._board = board
        self._desk = desk
        self._clock = clock
        self._tz = tz
        self._company = company
        self._trusted_proxies = trusted_proxies
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([TEMPLATES_DIR, HELP_DESK_TEMPLATES]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self._env.filters["when"] = lambda moment: when(moment, tz)
        self._env.filters["left"] = lambda moment: relative(moment, clock())
        self._log = structlog.get_logger("gateway.admin")

    # --- the frame of every page ------------------------------------------------------------------------------

    def _user(self, request: web.Request) -> str | None:
        """The admin signed in on this request, or None."""
        return self._access.session_user(request.cookies.get(SESSION_COOKIE))

    async def _render(
        self, request: web.Request, name: str, page: str, status: int = 200, **context: Any
    ) -> web.Response:
        token = self._access.csrf.for_form(request.cookies.get(CSRF_COOKIE))
        router = request.app.router
        done, target = request.query.get("done", ""), request.query.get("id", "")
        notice = DONE[done].format(id=target if target.isdigit() else "?") if done in DONE else ""
        now = self._clock()
        render = self._env.get_template(name).render  # a long page is drawn in a thread, off the event loop
        html = await asyncio.to_thread(
            render,
            company=self._company,
            user=self._user(request),
            page=page,
            notice=notice,
            csrf_field=FIELD_NAME,
            csrf_token=token,
            url=lambda route, **parts: str(router[route].url_for(**{k: str(v) for k, v in parts.items()})),
            zone=f"{self._tz.key} ({gmt_label(now.astimezone(self._tz))})",
            now=now,
            **context,
        )
        response = web.Response(status=status, text=html, content_type="text/html", charset="utf-8")
        response.set_cookie(CSRF_COOKIE, token, max_age=2 * 3600, path=_home(request), **self._cookie_flags(request))
        return response

    def _cookie_flags(self, request: web.Request) -> dict[str, Any]:
        return {"httponly": True, "samesite": "Strict", "secure": came_over_tls(request, self._trusted_proxies)}

    async def _notice(self, request: web.Request, status: int, heading: str, message: str) -> web.Response:
        return await self._render(request, "notice.html", "", status, heading=heading, message=message)

    def _back(self, request: web.Request, route: str, done: str, target: int) -> web.HTTPSeeOther:
        location = request.app.router[route].url_for().with_query(done=done, id=str(target))
        return web.HTTPSeeOther(location)

    @web.middleware
    async def guard(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        """A session for every page but the sign-in; the CSRF token for every POST; the headers on every answer."""
        login = request.app.router["login"].url_for()
        if request.path != str(login):
            if self._user(request) is None:
                raise web.HTTPSeeOther(login.with_query(next=request.path_qs) if request.method == "GET" else login)
        if request.method == "POST":
            form = await request.post()
            submitted = form.get(FIELD_NAME)
            token = submitted if isinstance(submitted, str) else None
            if not self._access.csrf.check(token, request.cookies.get(CSRF_COOKIE)):
                self._log.warning("admin.refused", reason="csrf", path=request.path)
                answer = await self._notice(request, 403, "This form has expired", "Reload the page and try again.")
                answer.headers.update(HEADERS)
                return answer
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPException:
            raise
        except Exception as error:  # one line to the admin and the log, never a traceback
            self._log.error("admin.failed", path=request.path, error=f"{type(error).__name__}: {error}")
            down = isinstance(error, StoreError)
            heading = "The store does not answer" if down else "This did not work"
            response = await self._notice(request, 503 if down else 500, heading, FAILED)
        response.headers.update(HEADERS)
        return response

    # --- signing in and out -----------------------------------------------------------------------------------

    async def show_login(self, request: web.Request) -> web.Response:
        if self._user(request) is not None:
            raise web.HTTPSeeOther(_next(request, request.query.get("next")))
        return await self._login_form(request, 200, "", "", request.query.get("next"))

    async def _login_form(
        self, request: web.Request, status: int, error: str, user: str, wanted: str | None
    ) -> web.Response:
        nxt = _next(request, wanted)
        return await self._render(request, "login.html", "login", status, error=error, typed_user=user, next=nxt)

    async def login(self, request: web.Request) -> web.Response:
        form = await request.post()
        user, password, wanted = (str(form.get(name, "")) for name in ("user", "password", "next"))
        address = client_address(request, self._trusted_proxies)
        if await self._access.blocked(address):
            self._log.warning("admin.sign_in_refused", reason="too many attempts", address=address)
            error = "Too many failed sign-ins from your address. Try again in 15 minutes."
            return await self._login_form(request, 429, error, user, wanted)
        session = await self._access.sign_in(user, password, address)
        if session is None:
            self._log.warning("admin.sign_in_refused", reason="wrong user or password", address=address)
            return await self._login_form(request, 401, "Wrong user or password.", user, wanted)
        self._log.info("admin.signed_in", user=self._access.user, address=address)
        response = web.HTTPSeeOther(_next(request, wanted))
        flags = self._cookie_flags(request)
        response.set_cookie(SESSION_COOKIE, session, max_age=self._access.session_seconds, path=_home(request), **flags)
        raise response

    async def logout(self, request: web.Request) -> web.Response:
        self._log.info("admin.signed_out", user=self._user(request))
        response = web.HTTPSeeOther(request.app.router["login"].url_for().with_query(done="signed_out"))
        response.del_cookie(SESSION_COOKIE, path=_home(request))
        raise response

    # --- the pages ----------------------------------------------------------------------------------------------

    async def overview(self, request: web.Request) -> web.Response:
        channels = await self._board.channels()
        board = await self._board.tickets()
        context: dict[str, Any] = {
            "channels": channels,
            "board": board,
            "standings": STANDINGS,
            "standing_labels": STANDING_LABELS,
        }
        return await self._render(request, "overview.html", "overview", **context)

    async def tickets(self, request: web.Request) -> web.Response:
        board = await self._board.tickets()
        warn = round(self._board.warn_share * 100)
        context: dict[str, Any] = {
            "board": board,
            "standings": STANDINGS,
            "standing_labels": STANDING_LABELS,
            "shown": SHOWN_TICKETS,
        }
        return await self._render(request, "tickets.html", "tickets", warn_percent=warn, **context)

    async def replies(self, request: web.Request) -> web.Response:
        failed_only = request.query.get("all") != "1"
        items = await self._board.replies(failed_only)
        totals = [row.activity for row in await self._board.channels()]
        backlog, dead = sum(a.outbox_pending for a in totals), sum(a.outbox_dead for a in totals)
        context: dict[str, Any] = {"items": items, "failed_only": failed_only, "backlog": backlog, "dead": dead}
        return await self._render(request, "replies.html", "replies", max_attempts=self._desk.max_attempts, **context)

    async def retry(self, request: web.Request) -> web.Response:
        outbox_id = _id(request)
        async with self._desk.store.transaction() as tx:
            item = await tx.get_outbox(outbox_id)
            retried = item is not None and item.status != "sent" and await tx.requeue_outbox(outbox_id, self._clock())
        if not retried:
            raise self._back(request, "replies", "not_retried", outbox_id)
        self._desk.wake_outbox()
        ticket = item.reply.ticket_number if item is not None else None
        self._log.info("admin.reply_retried", user=self._user(request), outbox_id=outbox_id, ticket=ticket)
        raise self._back(request, "replies", "retried", outbox_id)

    async def quarantine(self, request: web.Request) -> web.Response:
        items = await self._board.quarantine()
        return await self._render(request, "quarantine.html", "quarantine", items=items)

    async def requeue(self, request: web.Request) -> web.Response:
        inbox_id = _id(request)
        async with self._desk.store.transaction() as tx:
            requeued = await tx.requeue_inbox(inbox_id)
        if not requeued:
            raise self._back(request, "quarantine", "not_requeued", inbox_id)
        self._desk.wake_inbox()
        self._log.info("admin.message_requeued", user=self._user(request), inbox_id=inbox_id)
        raise self._back(request, "quarantine", "requeued", inbox_id)

    async def raw(self, request: web.Request) -> web.Response:
        item = await self._board.quarantined(_id(request))
        if item is None:
            return await self._notice(
                request, 404, "Not in the quarantine", "That message is not quarantined (any more)."
            )
        self._log.info("admin.raw_downloaded", user=self._user(request), inbox_id=item.id)
        name = f"quarantine-{item.id}.{'eml' if item.channel == 'email' else 'txt'}"
        disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
        return web.Response(body=item.raw, content_type="application/octet-stream", headers=disposition)

    async def config(self, request: web.Request) -> web.Response:
        settings = self._desk.settings()
        status = dict(self._desk.reload_status())
        loaded_at = datetime.fromisoformat(str(status["loaded_at"])) if status.get("loaded_at") else self._clock()
        context: dict[str, Any] = {"sections": effective_config(settings), "organisations": organisations(settings)}
        return await self._render(
            request, "config.html", "config", path=str(settings.path), reload=status, loaded_at=loaded_at, **context
        )


def _id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not text.isdigit() or len(text) > 18:
        raise web.HTTPNotFound(text="no such item")
    return int(text)


def _home(request: web.Request) -> str:
    return str(request.app.router["overview"].url_for())


def _next(request: web.Request, wanted: str | None) -> str:
    """Where to go after signing in: a page of these admin pages, never elsewhere (an open redirect)."""
    home = _home(request)
    if wanted and (wanted == home or wanted.startswith(home + "/") or wanted.startswith(home + "?")):
        if "//" not in wanted and "\\" not in wanted and not wanted.startswith(home + "/login"):
            return wanted
    return home


def admin_app(pages: AdminPages) -> web.Application:
    """The sub-app to mount at `/admin`."""
    app = web.Application(middlewares=[pages.guard])
    app.router.add_get("", pages.overview, name="overview")
    app.router.add_get("/", pages.overview)
    app.router.add_get("/login", pages.show_login, name="login")
    app.router.add_post("/login", pages.login)
    app.router.add_post("/logout", pages.logout, name="logout")
    app.router.add_get("/tickets", pages.tickets, name="tickets")
    app.router.add_get("/replies", pages.replies, name="replies")
    app.router.add_post("/replies/{id}/retry", pages.retry, name="retry")
    app.router.add_get("/quarantine", pages.quarantine, name="quarantine")
    app.router.add_post("/quarantine/{id}/requeue", pages.requeue, name="requeue")
    app.router.add_get("/quarantine/{id}/raw", pages.raw, name="raw")
    app.router.add_get("/config", pages.config, name="config")
    return app
