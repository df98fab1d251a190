"""Fixtures for the unit tests."""

from tests.unit.desk import desk  # noqa: F401  (the ticket desk over a real SQLite store)
