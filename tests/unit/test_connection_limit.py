"""Refusing connections over the limit, and logging failed accepts without a traceback each."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from adapters.connection_limit import SMTP_BUSY, ConnectionLimit, QuietAcceptErrors


class Recorder(asyncio.Protocol):
    pass


def test_one_connection_over_the_limit_gets_the_busy_answer() -> None:
    open_now = [0]
    limit = ConnectionLimit(Recorder, 2, SMTP_BUSY, lambda: open_now[0])
    assert isinstance(limit(), Recorder)
    open_now[0] = 2
    refused = limit()
    assert not isinstance(refused, Recorder) and limit.report() == {"open": 2, "limit": 2, "refused": 1}


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
