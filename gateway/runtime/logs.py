"""Structured logs with structlog: readable in a terminal by default, one JSON object per line on request.

Events carry ids, addresses and states, never message bodies or secrets.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
# Third-party loggers that would print peers' data at INFO (aiosmtpd logs every SMTP command), or chatter there
# (flufl.bounce names every detector it runs).
QUIET_LOGGERS = ("mail.log", "aiohttp.access", "twilio", "slack_bolt", "slack_sdk", "flufl.bounce")


def configure_logging(format_: str, level: str, stream: TextIO = sys.stderr) -> None:
    """Set up structlog and the standard library's logging for the whole process (called once, by the CLI)."""
    numeric = LEVELS[level]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if format_ == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=numeric, stream=stream, format="%(levelname)s %(name)s: %(message)s")
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
