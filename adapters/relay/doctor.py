"""`gateway doctor` for the signed relays: each bridge's secret is set, and its callback URL answers (a HEAD
request: any answer below 500 means the bridge is there; nothing is posted, nothing signed)."""

from __future__ import annotations

import aiohttp

from adapters.channel import CheckResult, SecretLookup, unset_secrets
from adapters.relay.settings import RelaySettings

TIMEOUT_SECONDS = 10.0


async def relay_checks(relays: dict[str, RelaySettings], secret: SecretLookup) -> list[CheckResult]:
    found: list[CheckResult] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)) as session:
        for name, relay in relays.items():
            found.append(await _relay(session, f"relay {name}", relay, secret))
    return found


async def _relay(
    session: aiohttp.ClientSession, subject: str, relay: RelaySettings, secret: SecretLookup
) -> CheckResult:
    check = f"callback {relay.callback_url}"
    unset = unset_secrets(subject, check, secret, relay.secret_env)
    if unset is not None:
        return unset
    try:
        async with session.head(relay.callback_url, allow_redirects=False) as response:
            status = response.status
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        said = str(error) or type(error).__name__
        return CheckResult(subject, check, False, f"cannot reach it: {said}", "check callback_url and the bridge")
    if status >= 500:
        return CheckResult(subject, check, False, f"answered {status}", "the bridge answers with a server error")
    return CheckResult(subject, check, True, f"answered {status}")
