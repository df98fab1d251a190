"""Reading a form POST (urlencoded or multipart with files) within limits: no field or file larger than allowed."""

from __future__ import annotations

from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, web

from adapters.web.form import MAX_FILE_BYTES, MAX_FILES

MAX_PARTS = 40  # fields and files in one POST
MAX_FIELD_BYTES = 64 * 1024


class BodyTooLarge(Exception):
    """The POST is over the page's `max_body_bytes`."""


class UnreadableBody(Exception):
    """The POST is neither a readable urlencoded nor a multipart form."""


async def _read_part(part: BodyPartReader, limit: int, budget: list[int]) -> bytes:
    """A part's content, kept up to `limit` + 1 bytes (one more says "too large"), counting all against `budget`."""
    kept = bytearray()
    while chunk := await part.read_chunk(64 * 1024):
        budget[0] -= len(chunk)
        if budget[0] < 0:
            raise BodyTooLarge()
        kept += chunk[: max(0, limit + 1 - len(kept))]
    return bytes(kept)


async def read_fields(request: web.Request, max_bytes: int) -> tuple[dict[str, str], list[tuple[str, str, bytes]]]:
    """The text fields (first value of each) and the files of a form POST; file contents past MAX_FILE_BYTES are
    cut at MAX_FILE_BYTES + 1 bytes, and files past MAX_FILES + 1 are dropped (the form says "too many")."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise BodyTooLarge()
    fields: dict[str, str] = {}
    files: list[tuple[str, str, bytes]] = []
    try:
        if request.content_type != "multipart/form-data":
            body = await _read_plain(request, max_bytes)
            if body and request.content_type != "application/x-www-form-urlencoded":
                raise UnreadableBody()
            for key, value in parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_PARTS):
                fields.setdefault(key, value)
            return fields, files
        budget = [max_bytes]
        reader = await request.multipart()
        for _ in range(MAX_PARTS):
            part = await reader.next()
            if part is None:
                return fields, files
            if not isinstance(part, BodyPartReader) or not part.name:
                raise UnreadableBody()
            if part.filename is None:
                content = await _read_part(part, MAX_FIELD_BYTES, budget)
                fields.setdefault(part.name, content[:MAX_FIELD_BYTES].decode(part.get_charset("utf-8"), "replace"))
                continue
            content = await _read_part(part, MAX_FILE_BYTES, budget)
            if (part.filename or content) and len(files) <= MAX_FILES:
                kind = part.headers.get("Content-Type", "application/octet-stream")
                files.append((part.filename or "archivo", kind, content))
    except (ValueError, LookupError, AssertionError) as error:
        raise UnreadableBody() from error
    raise UnreadableBody()


async def _read_plain(request: web.Request, max_bytes: int) -> bytes:
    body = bytearray()
    async for chunk in request.content.iter_any():
        body += chunk
        if len(body) > max_bytes:
            raise BodyTooLarge()
    return bytes(body)
