"""Finds the line of a TOML file that a validation error points at, so every problem says where it is.

`tomllib` keeps no positions, so this reads the file's table headers and `key =` lines itself; it only has to
be good enough to point an admin at the right line, and answers None when it cannot tell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_PART = re.compile(r'"([^"]*)"|\'([^\']*)\'|([^.\s"\']+)')
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r'^\s*("[^"]*"|\'[^\']*\'|[A-Za-z0-9_-]+)\s*=')


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(next(group for group in match.groups() if group is not None) for match in _PART.finditer(dotted))


def _paths_by_line(text: str) -> list[tuple[int, tuple[str | int, ...]]]:
    """(line number, path) for every header and key line; arrays of tables get their index."""
    found: list[tuple[int, tuple[str | int, ...]]] = []
    table: tuple[str | int, ...] = ()
    array_counts: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            names = _parts(header.group(2))
            if header.group(1) == "[[":
                index = array_counts.get(names, -1) + 1
                array_counts[names] = index
                table = (*names, index)
            else:
                table = names
            found.append((number, table))
            continue
        key = _KEY.match(line)
        if key:
            found.append((number, (*table, _parts(key.group(1))[0])))
    return found


def locate(text: str, loc: Sequence[str | int]) -> int | None:
    """The line that best matches `loc` (a pydantic error location): the longest matching prefix wins. When no
    line is a prefix of it (a table only ever named inside longer headers, such as `[fr.channel]` for `fr`), the
    first line that begins the same way."""
    target = tuple(str(part) for part in loc)
    best: tuple[int, int] | None = None
    nearest: tuple[int, int] | None = None
    for number, path in _paths_by_line(text):
        path_text = tuple(str(part) for part in path)
        if target[: len(path_text)] == path_text and (best is None or len(path_text) > best[0]):
            best = (len(path_text), number)
        pairs = enumerate(zip(path_text, target, strict=False))
        shared = next((i for i, (a, b) in pairs if a != b), min(len(path_text), len(target)))
        if shared and (nearest is None or shared > nearest[0]):
            nearest = (shared, number)
    chosen = best or nearest
    return chosen[1] if chosen else None
