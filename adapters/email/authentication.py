"""Whether a mail's sender is who its From says: the Authentication-Results our own receiving MTA added.

Anyone can write any From. A mail server that checks DKIM, SPF and DMARC writes what it found in an
`Authentication-Results` header (RFC 8601) naming itself (the authserv-id); a sender can forge such a header too,
so only those naming one of our MTAs (`authserv_ids`, configured) count. The sender is verified when DMARC passed
for the From domain, or a DKIM signature of that domain (or of a parent domain: relaxed alignment) passed.
"""

from __future__ import annotations

from email.message import Message

import authres

from ticketing.types import Trust


def _aligned(domain: str, signer: str) -> bool:
    signer = signer.lower().lstrip("@").rsplit("@", 1)[-1]
    return bool(signer) and (domain == signer or domain.endswith("." + signer))


def _passed(result: authres.AuthenticationResult, domain: str) -> bool:
    if str(result.result).lower() != "pass":
        return False
    found = {(str(p.type).lower(), str(p.name).lower()): str(p.value) for p in result.properties}
    if result.method == "dmarc":
        return found.get(("header", "from"), "").lower() == domain
    if result.method == "dkim":
        return _aligned(domain, found.get(("header", "d")) or found.get(("header", "i")) or "")
    return False


def sender_trust(message: Message, sender: str, authserv_ids: frozenset[str]) -> Trust:
    """VERIFIED when one of our MTAs authenticated the From domain of `sender`; CLAIMED otherwise."""
    domain = sender.rsplit("@", 1)[-1].lower()
    if not authserv_ids or "@" not in sender:
        return Trust.CLAIMED
    for header in message.get_all("Authentication-Results") or []:
        try:
            parsed = authres.AuthenticationResultsHeader.parse(f"Authentication-Results: {header}")
        except Exception:  # a malformed header vouches for nothing
            continue
        if str(parsed.authserv_id).lower() in authserv_ids and any(_passed(r, domain) for r in parsed.results):
            return Trust.VERIFIED
    return Trust.CLAIMED
