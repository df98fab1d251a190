"""The help-desk web pages, as an aiohttp sub-app (the gateway mounts it at `/soporte`).

- `GET /soporte` — the request form (Spanish; `?lang=en` for English), each priority with the agreement's
  definition beside it. `POST /soporte` (urlencoded or multipart, up to 3 files of 5 MB): CSRF checked (403), rate
  limited per client address and per contact (429), fields checked (400, the form again with a message beside each
  bad field and the visitor's input kept); then the desk commits the request and makes the ticket, and only then
  the answer is `303 See Other` to the receipt, `GET /soporte/recibo/<token>`, with the ticket number and both
  deadlines (see `receipts`: reloading it, or sending the same request again, files nothing new). 413 when the body
  is over `max_body_bytes`; 503 when the request could not be committed.
- `GET /soporte/estado` — the status lookup form; `POST /soporte/estado` (CSRF, rate limited per address): the
  ticket's status and public conversation when the number and contact match, else one generic "not found" page,
  the same whether the number exists or not.

Pages are Jinja2 with autoescape; logs carry ticket numbers and outcomes, never what the visitor wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
import structlog
from aiohttp import web

from adapters.labels import Texts
from adapters.rate_limit import Limiter, MemoryLimiter
from adapters.web import form as fields_of
from adapters.web.body import BodyTooLarge, UnreadableBody, read_fields
from adapters.web.form import language_of
from adapters.web.receipts import RECEIPT_PATH, ReceiptTokens, StatusView, WebDesk, submission_key
from adapters.web.security import COOKIE_NAME, FIELD_NAME, CsrfTokens, came_over_tls, client_address

STATUS_PATH = "/estado"  # under MOUNT_PATH: the ticket status lookup
TEMPLATES_DIR = Path(__file__).parent / "templates"
CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
PAGE_HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-store", "Referrer-Policy": "same-origin"}


def _contact_key(contact: str) -> str:
    text = contact.strip().lower()
    return "contact:" + (text if "@" in text else "".join(c for c in text if c.isdigit()))


class _WebPages:
    def __init__(
        self,
        desk: WebDesk,
        csrf: CsrfTokens,
        receipts: ReceiptTokens,
        submissions: Limiter,
        lookups: Limiter,
        max_body_bytes: int,
        templates_dir: Path,
        texts: Texts,
        company: str,
        trusted_proxies: frozenset[str] = frozenset(),
    ) -> None:
        self._texts = texts
        self._company = company
        self._trusted_proxies = trusted_proxies
        self._desk = desk
        self._csrf = csrf
        self._receipts = receipts
        self._submissions = submissions
        self._lookups = lookups
        self._max_body_bytes = max_body_bytes
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates_dir), autoescape=True, undefined=jinja2.StrictUndefined
        )
        self._log = structlog.get_logger("adapters.web.pages")

    def _render(self, request: web.Request, name: str, lang: str, status: int, **context: Any) -> web.Response:
        token = self._csrf.for_form(request.cookies.get(COOKIE_NAME))
        links = {name: str(request.app.router[name].url_for()) for name in ("form", "status")}
        html = self._env.get_template(name).render(
            lang=lang,
            tr=lambda es, en: en if lang == "en" else es,
            csrf_field=FIELD_NAME,
            csrf_token=token,
            links=links,
            opening_hours=self._texts.opening_hours(lang),
            company=self._company,
            **context,
        )
        response = web.Response(status=status, text=html, content_type="text/html", charset="utf-8")
        response.set_cookie(
            COOKIE_NAME,
            token,
            max_age=2 * 3600,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=came_over_tls(request, self._trusted_proxies),
        )
        response.headers.update(PAGE_HEADERS)
        return response

    def _form(self, request: web.Request, lang: str, status: int = 200, **context: Any) -> web.Response:
        context.setdefault("values", {})
        context.setdefault("errors", {})
        labels = self._texts(lang).priorities
        priorities = [(value, labels[value].name, labels[value].definition) for value in fields_of.PRIORITIES]
        return self._render(request, "form.html", lang, status, priorities=priorities, **context)

    def _status(
        self,
        request: web.Request,
        lang: str,
        status: int,
        values: Mapping[str, str],
        errors: Mapping[str, str],
        view: StatusView | None = None,
        searched: bool = False,
    ) -> web.Response:
        context = {"values": values, "errors": errors, "view": view, "searched": searched}
        return self._render(request, "status.html", lang, status, **context)

    def _notice(self, request: web.Request, lang: str, status: int) -> web.Response:
        return self._render(request, "notice.html", lang, status, code=status)

    async def _read(self, request: web.Request) -> tuple[dict[str, str], list[tuple[str, str, bytes]], str] | None:
        """The fields, files and language of a POST, or None when the CSRF token is wrong."""
        fields, files = await read_fields(request, self._max_body_bytes)
        lang = language_of(fields.get("language") or request.query.get("lang"))
        fields["language"] = lang
        if not self._csrf.check(fields.get(FIELD_NAME), request.cookies.get(COOKIE_NAME)):
            return None
        return fields, files, lang

    async def show_form(self, request: web.Request) -> web.Response:
        return self._form(request, language_of(request.query.get("lang")))

    async def post_form(self, request: web.Request) -> web.Response:
        address = f"address:{client_address(request, self._trusted_proxies)}"
        lang = language_of(request.query.get("lang"))
        try:
            read = await self._read(request)
        except BodyTooLarge:
            return self._notice(request, lang, 413)
        except UnreadableBody:
            return self._notice(request, lang, 400)
        if read is None:
            self._log.warning("web form refused", reason="csrf")
            return self._notice(request, lang, 403)
        fields, files, lang = read
        if await self._submissions.blocked(address):
            self._log.warning("web form refused", reason="rate limit")
            return self._notice(request, lang, 429)
        form, errors = fields_of.read_support_form(fields, files)
        if form is None:
            return self._form(request, lang, 400, values=fields, errors=errors)
        if not await self._submissions.allow(address, _contact_key(form.contact)):
            self._log.warning("web form refused", reason="rate limit")
            return self._notice(request, lang, 429)
        payload = fields_of.form_payload(form)
        key = submission_key(str(fields.get(FIELD_NAME)), payload)  # the same request again is this one
        try:
            number = await self._desk.submit(form, payload, key)
        except Exception as error:  # not committed, or committed but not ticketed: say so, never pretend
            self._log.error("web request not recorded", error=type(error).__name__)
            return self._notice(request, lang, 503)
        self._log.info("web request recorded", ticket=number, attachments=len(form.attachments))
        token = self._receipts.issue(number, lang)
        raise web.HTTPSeeOther(request.app.router["receipt"].url_for(token=token))  # Post/Redirect/Get

    async def show_receipt(self, request: web.Request) -> web.Response:
        read = self._receipts.read(request.match_info["token"])
        receipt = await self._desk.receipt(*read) if read else None
        if read is None or receipt is None:
            return self._notice(request, language_of(request.query.get("lang")), 404)
        return self._render(request, "receipt.html", read[1], 200, receipt=receipt)

    async def show_status(self, request: web.Request) -> web.Response:
        lang = language_of(request.query.get("lang"))
        return self._status(request, lang, 200, {}, {})

    async def post_status(self, request: web.Request) -> web.Response:
        lang = language_of(request.query.get("lang"))
        try:
            read = await self._read(request)
        except (BodyTooLarge, UnreadableBody):
            return self._notice(request, lang, 400)
        if read is None:
            self._log.warning("status lookup refused", reason="csrf")
            return self._notice(request, lang, 403)
        fields, _files, lang = read
        values, errors = fields_of.read_lookup_form(fields)
        if errors:
            return self._status(request, lang, 400, values, errors)
        if not await self._lookups.allow(f"address:{client_address(request, self._trusted_proxies)}"):
            self._log.warning("status lookup refused", reason="rate limit")
            return self._notice(request, lang, 429)
        view = await self._desk.lookup(values["number"], values["contact"])
        self._log.info("status lookup", found=view is not None)
        status = 200 if view is not None else 404
        return self._status(request, lang, status, values, {}, view, searched=True)


def web_pages(
    *,
    desk: WebDesk,
    csrf_secret: str,
    clock: Callable[[], datetime],
    texts: Texts,
    company: str = "",
    max_body_bytes: int = 10 * 1024 * 1024,
    templates_dir: Path = TEMPLATES_DIR,
    submissions: Limiter | None = None,
    lookups: Limiter | None = None,
    trusted_proxies: frozenset[str] = frozenset(),
) -> web.Application:
    """The sub-app to mount at `/soporte`. By default 5 submissions per 10 minutes per address and per contact,
    and 10 status lookups per 10 minutes per address (pass limiters to change that). Behind a reverse proxy, name
    its address in `trusted_proxies` so each visitor is counted by the address the proxy saw."""
    ten_minutes = timedelta(minutes=10)
    pages = _WebPages(
        desk,
        CsrfTokens(csrf_secret, clock),
        ReceiptTokens(csrf_secret),
        submissions or MemoryLimiter(5, ten_minutes),
        lookups or MemoryLimiter(10, ten_minutes),
        max_body_bytes,
        templates_dir,
        texts,
        company,
        trusted_proxies,
    )
    app = web.Application()
    for path in ("", "/"):
        app.router.add_get(path, pages.show_form, name="form" if not path else None)
        app.router.add_post(path, pages.post_form)
    app.router.add_get(RECEIPT_PATH, pages.show_receipt, name="receipt")
    app.router.add_get(STATUS_PATH, pages.show_status, name="status")
    app.router.add_post(STATUS_PATH, pages.post_status)
    return app
