"""The standard library's email header registry, with each header name's class made once; for replies, the
headers whose values repeat parsed once.

`email.headerregistry.HeaderRegistry` builds a new class (`type(...)`) every time a header is read or set, 28 µs
each: a tenth of reading a short mail, and a tenth of writing an acknowledgement. Both the reader's bounded policy
and the replies' policy use this one instead.

Setting a header parses its value into a token tree (an address header about 60 µs); a reply's From, its loop
guards, its Date within one second and a returning client's To are the same from one reply to the next. A header
object is immutable (a `str` with its parse tree; folding reads the tree, never changes it), so the replies' policy
keeps the last ones it made and one object serves every message it is set on.
"""

from __future__ import annotations

import functools
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import EmailPolicy, default


class HeaderClasses(HeaderRegistry):
    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        made = self._made.get(name)
        if made is None:
            made = self._made[name] = super().__getitem__(name)
        return made


class RepeatedHeaders(HeaderClasses):
    """`HeaderClasses` that also keeps the last `size` headers made of `names` (lower case), by name and value."""

    def __init__(self, names: frozenset[str], size: int) -> None:
        super().__init__()
        self._names = names
        self._kept = functools.lru_cache(maxsize=size)(super().__call__)

    def __call__(self, name: str, value: str) -> BaseHeader:
        if name.lower() in self._names:
            return self._kept(name, value)  # type: ignore[no-any-return]
        return super().__call__(name, value)


REPEATED_IN_REPLIES = frozenset({"from", "to", "cc", "date", "auto-submitted", "x-auto-response-suppress"})


def reply_policy(kept: int = 256) -> EmailPolicy[EmailMessage]:
    """`email.policy.default`, with the header classes made once and the `kept` last repeating headers kept."""
    return default.clone(header_factory=RepeatedHeaders(REPEATED_IN_REPLIES, kept))  # type: ignore[return-value]
