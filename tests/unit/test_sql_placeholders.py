"""The portable `?` placeholders become PostgreSQL's `$n`, and only where they are placeholders."""

from __future__ import annotations

import pytest

from ticketing.store.postgres import numbered


@pytest.mark.parametrize(
    ("portable", "postgres"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"),
        ("SELECT * FROM t WHERE b = '?' AND c = ?", "SELECT * FROM t WHERE b = '?' AND c = $1"),
        ("UPDATE t SET note = 'it''s ?' WHERE id = ?", "UPDATE t SET note = 'it''s ?' WHERE id = $1"),
        ('SELECT "odd?name" FROM t WHERE id = ?', 'SELECT "odd?name" FROM t WHERE id = $1'),
        ("SELECT ? -- a comment? yes\n, ?", "SELECT $1 -- a comment? yes\n, $2"),
        ("SELECT /* why? */ ?", "SELECT /* why? */ $1"),
        ("SELECT $$a ? b$$, ?", "SELECT $$a ? b$$, $1"),
        ("SELECT 1", "SELECT 1"),
    ],
)
def test_only_placeholders_are_numbered(portable: str, postgres: str) -> None:
    assert numbered(portable) == postgres
