"""Bounded servers: at most N connections in, the next one answered "busy" and closed; accept errors logged calmly.

A flood of connections must not exhaust the process's file descriptors (then the store, the health check and every
channel fail with it). Each server (SMTP, HTTP) lets `limit` connections in; one more is answered at once with the
protocol's own "try again later" (SMTP 421, HTTP 503) and closed, so a well-behaved peer retries. `fd_budget`
splits what the file-descriptor limit allows between the servers, and `QuietAcceptErrors` keeps asyncio's
"out of system resource" from writing a traceback per failed accept (gigabytes of log in a flood).
"""

from __future__ import annotations

import asyncio
import resource
import time
from collections.abc import Callable
from typing import Any

import structlog

SMTP_BUSY = b"421 4.3.2 Too many connections; please try again later\r\n"
HTTP_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 5\r\n"
    b"Connection: close\r\nContent-Length: 39\r\n\r\ntoo many connections; try again shortly"
)
_RESERVED_DESCRIPTORS = 128  # the store, the reading processes' pipes, outgoing connections, logs


class _Busy(asyncio.Protocol):
    """Writes the refusal and closes: the connection holds its descriptor for no longer than that."""

    def __init__(self, answer: bytes) -> None:
        self._answer = answer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(self._answer)
        transport.close()


class ConnectionLimit:
    """A protocol factory: the real protocol while fewer than `limit` connections are open, else "busy".

    `open_now` counts a connection from its protocol's `connection_made`, which the event loop runs a step after
    the factory; a flood is accepted a backlog at a time (100 or more connections in one step), so the connections
    handed a real protocol and not yet made count too, until the step after (a timer, which the loop runs after
    the callbacks already scheduled, `connection_made` among them)."""

    def __init__(
        self, factory: Callable[[], asyncio.BaseProtocol], limit: int, busy: bytes, open_now: Callable[[], int]
    ) -> None:
        self._factory = factory
        self.limit = limit
        self._busy = busy
        self._open_now = open_now
        self._starting = 0  # handed a real protocol, not yet counted by `open_now`
        self.refused = 0

    def report(self) -> dict[str, int]:
        """For /healthz: connections open now, the limit, and how many were refused since the start."""
        return {"open": self._open_now(), "limit": self.limit, "refused": self.refused}

    def __call__(self) -> asyncio.BaseProtocol:
        if self._open_now() + self._starting >= self.limit:
            self.refused += 1
            return _Busy(self._busy)
        self._starting += 1
        asyncio.get_running_loop().call_later(0, self._started)
        return self._factory()

    def _started(self) -> None:
        self._starting -= 1


def fd_budget(share: float) -> int:
    """This share of the file descriptors the process may open (its soft limit, raised to the hard one first)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or soft < hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return 1_000_000
    return max(8, int((soft - _RESERVED_DESCRIPTORS) * share))


class QuietAcceptErrors:
    """An event loop exception handler: failed accepts (EMFILE, ENFILE) logged once per `every` seconds, with a
    count and no traceback; everything else goes to the default handler."""

    def __init__(self, every: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._every = every
        self._clock = clock
        self._last = -every
        self._suppressed = 0
        self._log = structlog.get_logger("gateway.connections")

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", ""))
        if "socket.accept() out of system resource" not in message:
            loop.default_exception_handler(context)
            return
        now = self._clock()
        if now - self._last < self._every:
            self._suppressed += 1
            return
        error = context.get("exception")
        self._log.error("connections.accept_failed", error=str(error), since_last=self._suppressed)
        self._last, self._suppressed = now, 0
