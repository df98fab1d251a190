"""Refusing connections over the limit, and logging failed accepts without a traceback each."""

from __future__ import annotations

import asyncio
import socket

from structlog.testing import capture_logs

from adapters.connection_limit import SMTP_BUSY, ConnectionLimit, QuietAcceptErrors


class Recorder(asyncio.Protocol):
    pass


async def test_one_connection_over_the_limit_gets_the_busy_answer() -> None:
    open_now = [0]
    limit = ConnectionLimit(Recorder, 2, SMTP_BUSY, lambda: open_now[0])
    assert isinstance(limit(), Recorder)
    await asyncio.sleep(0.01)  # its connection is made: counted by open_now from here on
    open_now[0] = 2
    refused = limit()
    assert not isinstance(refused, Recorder) and limit.report() == {"open": 2, "limit": 2, "refused": 1}


class Counted(asyncio.Protocol):
    """A session counted from `connection_made` to `connection_lost`, as the SMTP and HTTP servers count theirs."""

    open = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        Counted.open += 1

    def connection_lost(self, exc: Exception | None) -> None:
        Counted.open -= 1


async def test_a_flood_accepted_in_one_step_gets_no_more_sessions_than_the_limit() -> None:
    """The loop accepts a backlog of connections at once and makes their protocols a step later: the limit still
    holds (it let in 60 of 60 before it counted the ones not yet made)."""
    Counted.open = 0
    limit = ConnectionLimit(Counted, 5, SMTP_BUSY, lambda: Counted.open)
    listening = socket.create_server(("127.0.0.1", 0), backlog=100)  # nobody accepts yet: the flood waits in line
    port = listening.getsockname()[1]
    flood = [await asyncio.open_connection("127.0.0.1", port) for _ in range(60)]
    server = await asyncio.get_running_loop().create_server(limit, sock=listening, backlog=100)

    async def answer(reader: asyncio.StreamReader) -> bytes:
        try:
            return await asyncio.wait_for(reader.read(100), 2)
        except TimeoutError:  # a session let in: it waits for the client to speak
            return b""

    answers = await asyncio.gather(*(answer(reader) for reader, _ in flood))
    busy = sum(answer == SMTP_BUSY for answer in answers)
    assert (Counted.open, busy, limit.refused) == (5, 55, 55)
    for _, writer in flood:
        writer.close()
    server.close()


def test_failed_accepts_are_logged_once_per_period_without_traceback() -> None:
    now = [0.0]
    handler = QuietAcceptErrors(every=10.0, clock=lambda: now[0])
    loop = asyncio.new_event_loop()
    other: list[dict[str, object]] = []
    loop.default_exception_handler = other.append  # type: ignore[method-assign]
    context = {"message": "socket.accept() out of system resource", "exception": OSError(24, "Too many open files")}
    try:
        with capture_logs() as logs:
            for second in range(30):  # asyncio retries the accept every second, for half a minute
                now[0] = float(second)
                handler(loop, context)
            handler(loop, {"message": "something else"})
    finally:
        loop.close()
    assert [(log["event"], log["since_last"]) for log in logs] == [
        ("connections.accept_failed", 0),
        ("connections.accept_failed", 9),
        ("connections.accept_failed", 9),
    ]
    assert other == [{"message": "something else"}]
