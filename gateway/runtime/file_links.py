"""Signed, expiring download links to client files, for agents: a file too big to upload into Slack is a link.

`GET /archivos/{token}`: the token is the attachment's id, signed and dated with itsdangerous (HMAC-SHA256 with the
secret `[http] link_secret_env` names), valid `[http] link_days`. The file is served as a download
(`Content-Disposition: attachment`, `nosniff`, a sandboxing CSP), never rendered as a page of ours. A forged or
malformed token is 404, an expired one 410, each with a one-line answer; nothing is logged of the file but its id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import quote

import structlog
from aiohttp import web
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from adapters.clock_signer import clock_signer
from ticketing.ports import AttachmentFiles, UnitOfWork

PATH = "/archivos"
SALT = "gateway-file-link"
# The answers agents read (the console speaks Spanish); an admin can still write the file out with the CLI.
UNKNOWN = "Enlace de descarga no válido."
EXPIRED = "Este enlace de descarga venció: un administrador puede sacar el archivo con `gateway tickets attachment`."
GONE = "Este archivo ya no está guardado."


class LinkRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class FileLinks:
    def __init__(
        self,
        store: UnitOfWork[AttachmentFiles],
        secret: str,
        public_url: str,
        valid_for: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        if not secret:
            raise ValueError("the link secret must not be empty")
        self._store = store
        self._base = public_url.rstrip("/") + PATH
        self._max_age = int(valid_for.total_seconds())
        self._serializer = URLSafeTimedSerializer(secret, salt=SALT, signer=clock_signer(clock))
        self._log = structlog.get_logger("gateway.file_links")

    def link(self, attachment_id: int) -> str:
        return f"{self._base}/{self._serializer.dumps(attachment_id)}"

    def attachment_id(self, token: str) -> int:
        """The attachment a token names; LinkRefused (404 forged or malformed, 410 expired) otherwise."""
        try:
            value = self._serializer.loads(token, max_age=self._max_age)
        except SignatureExpired as error:
            raise LinkRefused(410, EXPIRED) from error
        except BadSignature as error:
            raise LinkRefused(404, UNKNOWN) from error
        if not isinstance(value, int):
            raise LinkRefused(404, UNKNOWN)
        return value

    async def download(self, request: web.Request) -> web.Response:
        try:
            attachment_id = self.attachment_id(request.match_info["token"])
        except LinkRefused as refused:
            return web.Response(status=refused.status, text=refused.reason + "\n")
        async with self._store.transaction() as tx:
            stored = await tx.attachment_file(attachment_id)
        if stored is None or stored.content is None:
            return web.Response(status=404, text=GONE + "\n")
        self._log.info("file link used", attachment_id=attachment_id, ticket=stored.ticket_number)
        headers = {
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.filename, safe='')}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
            "Cache-Control": "private, no-store",
        }
        headers["Content-Type"] = stored.content_type or "application/octet-stream"
        return web.Response(body=stored.content, headers=headers)

    def routes(self, app: web.Application) -> None:
        app.router.add_get(PATH + "/{token}", self.download)
