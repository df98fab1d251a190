"""The frame every admin page shares (`gateway.admin.pages`, `gateway.admin.signin`).

- Drawing a page: Jinja2 with autoescape, in a thread (off the event loop), on the help desk's stylesheet; the
  page's CSRF token in its forms and cookie; the line saying what the last action did (`?done=`).
- The guard, a middleware: a session for every page but the sign-in (a GET without one goes to the sign-in and
  comes back after it); the page's CSRF token for every POST (403 without it, and nothing changes); a failure
  under a page is one line to the admin and `admin.failed` in the log, never a traceback; the security headers
  on every answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import structlog
from aiohttp import web

from adapters.local_time import gmt_label
from adapters.web.pages import PAGE_HEADERS
from adapters.web.pages import TEMPLATES_DIR as HELP_DESK_TEMPLATES
from adapters.web.security import FIELD_NAME, came_over_tls
from gateway.admin.access import CSRF_COOKIE, SESSION_COOKIE, AdminAccess
from gateway.admin.timing import relative, when
from ticketing.store.base import StoreError

TEMPLATES_DIR = Path(__file__).parent / "templates"
HEADERS = {**PAGE_HEADERS, "X-Content-Type-Options": "nosniff"}  # the help desk's, and no type sniffing
FAILED = "Try again in a moment. The gateway's log says what went wrong (admin.failed)."
DONE = {  # what an action says on the page it leads back to, by its outcome
    "retried": "Reply {id} is queued again: the gateway sends it within seconds.",
    "not_retried": "Reply {id} was sent already, or is not in the outbox: nothing changed.",
    "requeued": "Message {id} is back in the inbox: the gateway reads it again within seconds.",
    "not_requeued": "Message {id} is not in the quarantine any more: nothing changed.",
    "signed_out": "You are signed out.",
}


class Frame:
    """What every admin page is drawn in and guarded by (see the module docstring)."""

    def __init__(
        self,
        access: AdminAccess,
        clock: Callable[[], datetime],
        tz: ZoneInfo,
        company: str,
        trusted_proxies: frozenset[str] = frozenset(),
    ) -> None:
        self.access = access
        self.trusted_proxies = trusted_proxies
        self._clock = clock
        self._tz = tz
        self._company = company
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([TEMPLATES_DIR, HELP_DESK_TEMPLATES]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self._env.filters["when"] = lambda moment: when(moment, tz)
        self._env.filters["left"] = lambda moment: relative(moment, clock())
        self._log = structlog.get_logger("gateway.admin")

    def user(self, request: web.Request) -> str | None:
        """The admin signed in on this request, or None."""
        return self.access.session_user(request.cookies.get(SESSION_COOKIE))

    async def render(
        self, request: web.Request, name: str, page: str, status: int = 200, **context: Any
    ) -> web.Response:
        token = self.access.csrf.for_form(request.cookies.get(CSRF_COOKIE))
        router = request.app.router
        done, target = request.query.get("done", ""), request.query.get("id", "")
        notice = DONE[done].format(id=target if target.isdigit() else "?") if done in DONE else ""
        now = self._clock()
        render = self._env.get_template(name).render  # a long page is drawn in a thread, off the event loop
        html = await asyncio.to_thread(
            render,
            company=self._company,
            user=self.user(request),
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
        response.set_cookie(CSRF_COOKIE, token, max_age=2 * 3600, path=home(request), **self.cookie_flags(request))
        return response

    def cookie_flags(self, request: web.Request) -> dict[str, Any]:
        return {"httponly": True, "samesite": "Strict", "secure": came_over_tls(request, self.trusted_proxies)}

    async def notice(self, request: web.Request, status: int, heading: str, message: str) -> web.Response:
        return await self.render(request, "notice.html", "", status, heading=heading, message=message)

    def back(self, request: web.Request, route: str, done: str, target: int) -> web.HTTPSeeOther:
        """The answer to an action: back to its list, with the line saying what was done."""
        location = request.app.router[route].url_for().with_query(done=done, id=str(target))
        return web.HTTPSeeOther(location)

    @web.middleware
    async def guard(self, request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        """A session for every page but the sign-in; the CSRF token for every POST; the headers on every answer."""
        login = request.app.router["login"].url_for()
        if request.path != str(login):
            if self.user(request) is None:
                raise web.HTTPSeeOther(login.with_query(next=request.path_qs) if request.method == "GET" else login)
        if request.method == "POST":
            form = await request.post()
            submitted = form.get(FIELD_NAME)
            token = submitted if isinstance(submitted, str) else None
            if not self.access.csrf.check(token, request.cookies.get(CSRF_COOKIE)):
                self._log.warning("admin.refused", reason="csrf", path=request.path)
                answer = await self.notice(request, 403, "This form has expired", "Reload the page and try again.")
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
            response = await self.notice(request, 503 if down else 500, heading, FAILED)
        response.headers.update(HEADERS)
        return response


def item_id(request: web.Request) -> int:
    """The `{id}` of an item's URL; 404 when it is not a number."""
    text = request.match_info["id"]
    if not text.isdigit() or len(text) > 18:
        raise web.HTTPNotFound(text="no such item")
    return int(text)


def home(request: web.Request) -> str:
    """Where the admin pages are mounted (`/admin`): their cookies' path, and the overview's address."""
    return str(request.app.router["overview"].url_for())


def next_page(request: web.Request, wanted: str | None) -> str:
    """Where to go after signing in: a page of these admin pages, never elsewhere (an open redirect)."""
    top = home(request)
    if wanted and (wanted == top or wanted.startswith(top + "/") or wanted.startswith(top + "?")):
        if "//" not in wanted and "\\" not in wanted and not wanted.startswith(top + "/login"):
            return wanted
    return top
