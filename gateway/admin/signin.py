"""Signing the admin in and out (`gateway.admin.access` decides; this is its pages): `GET|POST /admin/login`,
`POST /admin/logout`. A wrong user or password answers 401 with the form again; too many failures from one
address, 429. Each outcome is logged with the visitor's address, never with what was typed."""

from __future__ import annotations

import structlog
from aiohttp import web

from adapters.web.security import client_address
from gateway.admin.access import SESSION_COOKIE, Blocked
from gateway.admin.frame import Frame, home, next_page


class SignIn:
    def __init__(self, frame: Frame) -> None:
        self._frame = frame
        self._access = frame.access
        self._log = structlog.get_logger("gateway.admin")

    async def show(self, request: web.Request) -> web.Response:
        if self._frame.user(request) is not None:
            raise web.HTTPSeeOther(next_page(request, request.query.get("next")))
        return await self._login_form(request, 200, "", "", request.query.get("next"))

    async def _login_form(
        self, request: web.Request, status: int, error: str, user: str, wanted: str | None
    ) -> web.Response:
        nxt = next_page(request, wanted)
        return await self._frame.render(request, "login.html", "login", status, error=error, typed_user=user, next=nxt)

    async def login(self, request: web.Request) -> web.Response:
        form = await request.post()
        user, password, wanted = (str(form.get(name, "")) for name in ("user", "password", "next"))
        address = client_address(request, self._frame.trusted_proxies)
        try:
            session = await self._access.sign_in(user, password, address)
        except Blocked:
            self._log.warning("admin.sign_in_refused", reason="too many attempts", address=address)
            error = "Too many failed sign-ins from your address. Try again in 15 minutes."
            return await self._login_form(request, 429, error, user, wanted)
        if session is None:
            self._log.warning("admin.sign_in_refused", reason="wrong user or password", address=address)
            return await self._login_form(request, 401, "Wrong user or password.", user, wanted)
        self._log.info("admin.signed_in", user=self._access.user, address=address)
        response = web.HTTPSeeOther(next_page(request, wanted))
        flags = self._frame.cookie_flags(request)
        response.set_cookie(SESSION_COOKIE, session, max_age=self._access.session_seconds, path=home(request), **flags)
        raise response

    async def logout(self, request: web.Request) -> web.Response:
        self._log.info("admin.signed_out", user=self._frame.user(request))
        response = web.HTTPSeeOther(request.app.router["login"].url_for().with_query(done="signed_out"))
        response.del_cookie(SESSION_COOKIE, path=home(request))
        raise response
