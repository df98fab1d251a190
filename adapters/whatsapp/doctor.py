"""`gateway doctor` for the WhatsApp channel: the Twilio account's credentials, the account's state, and each
Messaging Service the channel sends through, read from Twilio's API (nothing is sent). Twilio's own error code and
words are shown; the auth token never is."""

from __future__ import annotations

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from adapters.channel import CheckResult, SecretLookup, unset_secrets
from adapters.whatsapp.sender import TwilioHttpClient
from adapters.whatsapp.settings import WhatsAppSettings

TIMEOUT_SECONDS = 15.0
SUBJECT = "WhatsApp (Twilio)"


def _refused(check: str, error: TwilioRestException, hint: str) -> CheckResult:
    said = f"Twilio answered {error.status}" + (f", error {error.code}" if error.code else "") + f": {error.msg}"
    return CheckResult(SUBJECT, check, False, said, hint)


async def whatsapp_checks(section: WhatsAppSettings, secret: SecretLookup) -> list[CheckResult]:
    """The account (credentials and state), then each Messaging Service."""
    check = f"the account in {section.account_sid_env}, with {section.auth_token_env}"
    unset = unset_secrets(SUBJECT, check, secret, section.account_sid_env, section.auth_token_env)
    if unset is not None:
        return [unset]
    account_sid = secret(section.account_sid_env) or ""
    http = TwilioHttpClient(timeout=TIMEOUT_SECONDS, api_base_url=section.api_base_url)
    client = Client(account_sid, secret(section.auth_token_env), http_client=http)
    try:
        try:
            account = await client.api.v2010.accounts(account_sid).fetch_async()
        except TwilioRestException as error:
            hint = f"check {section.account_sid_env} and {section.auth_token_env}" if error.status == 401 else ""
            return [_refused(check, error, hint)]
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            return [CheckResult(SUBJECT, check, False, f"cannot reach Twilio: {error}", "check the network")]
        active = account.status == "active"
        found = [
            CheckResult(
                SUBJECT,
                check,
                active,
                f"account {account.friendly_name!r} is {account.status}",
                "" if active else "the account must be active to send",
            )
        ]
        for service_sid in section.messaging_service_sids:
            found.append(await _service(client, service_sid))
        return found
    finally:
        await http.close()


async def _service(client: Client, service_sid: str) -> CheckResult:
    check = f"Messaging Service {service_sid}"
    try:
        service = await client.messaging.v1.services(service_sid).fetch_async()
    except TwilioRestException as error:
        return _refused(check, error, "fix messaging_service_sids")
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        return CheckResult(SUBJECT, check, False, f"cannot reach Twilio: {error}", "check the network")
    return CheckResult(SUBJECT, check, True, f"found: {service.friendly_name!r}")
