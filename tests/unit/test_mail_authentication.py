"""A mail speaks for its organisation only when our own MTA authenticated its From domain."""

from __future__ import annotations

from email import message_from_string, policy

import pytest

from adapters.email.authentication import sender_trust
from ticketing.types import Trust

OURS = frozenset({"mx.tecnolinux.com"})


def mail(*results: str) -> str:
    headers = "".join(f"Authentication-Results: {result}\n" for result in results)
    return f"{headers}From: Jefe <jefe@andina.com.co>\nSubject: x\n\nhola\n"


def test_a_signature_of_a_parent_domain_is_aligned() -> None:
    message = message_from_string(mail("mx.tecnolinux.com; dkim=pass header.d=andina.com.co"), policy=policy.default)
    assert sender_trust(message, "jefe@ti.andina.com.co", OURS) is Trust.VERIFIED  # DMARC's relaxed alignment
    assert sender_trust(message, "jefe@andina.com.co.evil.net", OURS) is Trust.CLAIMED


@pytest.mark.parametrize(
    ("results", "ours", "expected"),
    [
        (["mx.tecnolinux.com; dmarc=pass (p=REJECT) header.from=andina.com.co"], OURS, Trust.VERIFIED),
        (["mx.tecnolinux.com; dkim=pass header.d=andina.com.co header.s=s1"], OURS, Trust.VERIFIED),
        (["mx.tecnolinux.com; dkim=pass header.i=@andina.com.co"], OURS, Trust.VERIFIED),
        (["mx.tecnolinux.com; dkim=pass header.d=otra.com; spf=pass smtp.mailfrom=andina.com.co"], OURS, Trust.CLAIMED),
        (
            ["mx.tecnolinux.com; dmarc=fail header.from=andina.com.co; dkim=fail header.d=andina.com.co"],
            OURS,
            Trust.CLAIMED,
        ),
        (["mx.atacante.com; dmarc=pass header.from=andina.com.co"], OURS, Trust.CLAIMED),  # not our MTA: forgeable
        (["mx.tecnolinux.com; dmarc=pass header.from=andina.com.co"], frozenset(), Trust.CLAIMED),  # none configured
        (["mx.tecnolinux.com; none"], OURS, Trust.CLAIMED),
        (["nonsense ;;; ="], OURS, Trust.CLAIMED),
        ([], OURS, Trust.CLAIMED),
    ],
)
def test_only_our_mta_vouches_for_the_from_domain(results: list[str], ours: frozenset[str], expected: Trust) -> None:
    message = message_from_string(mail(*results), policy=policy.default)
    assert sender_trust(message, "jefe@andina.com.co", ours) is expected
