"""The benchmark's peers on loopback, each run in a process of its own (`python -m bench.peers KIND PORT`).

- `twilio`: the Messages API as the gateway's WhatsApp sender calls it (`POST .../Messages.json` answered 201 with a
  message resource); `GET /count` says how many it took and when the last one came (monotonic seconds).
- `bare`: a bare aiohttp server answering the webhook's POST as Twilio expects (the body read, empty TwiML): what
  the gateway's webhook is compared with, on the same machine, in the same run.
"""

from __future__ import annotations

import secrets
import sys
import time

from aiohttp import web

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def twilio_app() -> web.Application:
    taken = {"count": 0, "last": 0.0}

    async def create(request: web.Request) -> web.Response:
        await request.post()
        taken["count"] += 1
        taken["last"] = time.monotonic()
        sid = "SM" + secrets.token_hex(16)
        return web.json_response({"sid": sid, "status": "queued", "error_code": None}, status=201)

    async def count(request: web.Request) -> web.Response:
        return web.json_response(taken)

    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", create)
    app.router.add_get("/count", count)
    return app


def bare_app() -> web.Application:
    async def webhook(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text=EMPTY_TWIML, content_type="text/xml")

    app = web.Application()
    app.router.add_post("/webhooks/twilio/whatsapp", webhook)
    return app


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    app = twilio_app() if kind == "twilio" else bare_app()
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
