"""Downloading a file a channel sent as a link (WhatsApp media, a relay's attachment), safely: what channels share.

A link in a message comes from outside, so following it must not let a sender point the gateway at an internal
service, nor walk off with credentials. `fetch_checked`:

- goes over https only, to hosts in `allowed_hosts` (an entry is an exact host name; an entry starting with a dot,
  such as ".twiliocdn.com", allows every subdomain of it), checked before any request;
- follows redirects itself (`allow_redirects=False`), re-checking scheme and host at every hop, at most
  `max_redirects` of them;
- sends each hop only the headers `headers_for(host)` gives (`credentials_for` builds one that hands credentials
  to some hosts and nothing to the others), never a header of the redirect's choosing;
- streams with a cap of `max_bytes`.

4xx, a forbidden host, an http URL, a bad redirect or a file over the cap raise PermanentFailure; 5xx, 429 (with
their Retry-After) and network trouble raise TemporaryFailure. Every message is one line naming the host.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from urllib.parse import urljoin, urlsplit

import aiohttp

from adapters.channel import PermanentFailure, TemporaryFailure
from adapters.retry_after import retry_after_seconds

REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK = 64 * 1024

HeadersFor = Callable[[str], Mapping[str, str]]  # the headers a request to this (lower-case) host carries


def host_allowed(host: str, allowed_hosts: Collection[str]) -> bool:
    """Exact match, or a subdomain of an entry written with a leading dot (".twiliocdn.com"); case-insensitive."""
    host = host.lower().rstrip(".")
    entries = (entry.lower() for entry in allowed_hosts)
    return any(host == entry or (entry.startswith(".") and host.endswith(entry)) for entry in entries)


def no_headers(host: str) -> Mapping[str, str]:
    """Nothing for anyone: the `headers_for` of a download that needs no credentials."""
    return {}


def credentials_for(credentials: Mapping[str, str], hosts: Collection[str]) -> HeadersFor:
    """A `headers_for` that gives `credentials` to `hosts` (same rule as `host_allowed`) and nothing to others."""
    given = dict(credentials)

    def headers_for(host: str) -> Mapping[str, str]:
        return given if host_allowed(host, hosts) else {}

    return headers_for


def checked_host(url: str, allowed_hosts: Collection[str], *, what: str = "media", not_allowed: str = "") -> str:
    """The URL's host, lower-case, when the URL is https on an allowed host; PermanentFailure otherwise.

    `what` names the file in messages ("media", "attachment"); `not_allowed` ends the message of a refused host
    and should say what to change ("is not in [channels.relay.teams] attachment_hosts")."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as error:
        raise PermanentFailure(f"{what} URL is not a valid URL: {error}") from error
    if parts.scheme != "https":
        raise PermanentFailure(f"{what} URL is not https: {parts.scheme or '(none)'}://{host or ''}")
    if not host or not host_allowed(host, allowed_hosts):
        raise PermanentFailure(f"{what} host {host or '(none)'} {not_allowed or 'is not an allowed host'}")
    return host.lower()


async def read_capped(response: aiohttp.ClientResponse, max_bytes: int, *, what: str = "media") -> bytes:
    """The response's body, or PermanentFailure as soon as it is known to exceed `max_bytes`."""
    if response.content_length is not None and response.content_length > max_bytes:
        raise PermanentFailure(f"{what} larger than {max_bytes} bytes")
    content = bytearray()
    async for chunk in response.content.iter_chunked(CHUNK):
        content += chunk
        if len(content) > max_bytes:
            raise PermanentFailure(f"{what} larger than {max_bytes} bytes")
    return bytes(content)


def failure_for(status: int, host: str, retry_after: str | None, *, what: str = "media") -> Exception:
    """The failure an unexpected status means: temporary for 429 and 5xx (with Retry-After), permanent otherwise."""
    reason = f"{what} download from {host} answered HTTP {status}"
    if status == 429 or status >= 500:
        return TemporaryFailure(reason, retry_after_seconds(retry_after))
    return PermanentFailure(reason)


async def fetch_checked(
    session: aiohttp.ClientSession,
    url: str,
    *,
    allowed_hosts: Collection[str],
    max_bytes: int,
    max_redirects: int = 5,
    headers_for: HeadersFor = no_headers,
    what: str = "media",
    not_allowed: str = "",
) -> tuple[bytes, str]:
    """The file at `url` and its content type, or PermanentFailure / TemporaryFailure (see the module's rules).

    `session` must carry no credentials of its own: `headers_for` decides, hop by hop, who gets them. `what` and
    `not_allowed` word the messages, as in `checked_host`."""
    for _hop in range(max_redirects + 1):
        host = checked_host(url, allowed_hosts, what=what, not_allowed=not_allowed)
        try:
            async with session.get(url, headers=dict(headers_for(host)), allow_redirects=False) as response:
                if response.status in REDIRECTS:
                    location = response.headers.get("Location", "")
                    if not location:
                        raise PermanentFailure(f"{what} redirect from {host} without a Location")
                    try:
                        url = urljoin(url, location)
                    except ValueError as error:
                        raise PermanentFailure(f"{what} redirect from {host} to an invalid URL: {error}") from error
                    continue
                if response.status != 200:
                    raise failure_for(response.status, host, response.headers.get("Retry-After"), what=what)
                return await read_capped(response, max_bytes, what=what), response.content_type
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TemporaryFailure(f"cannot download {what} from {host}: {error.__class__.__name__}") from error
    raise PermanentFailure(f"{what} download redirected more than {max_redirects} times")
