"""`gateway doctor` for the email channel: each IMAP mailbox connects, logs in and finds its folder; the SMTP relay
answers EHLO, secures the session and accepts the login; a Maildir for replies can be written. Nothing is read,
moved or sent, and no folder is created. Errors are the servers' words, which never hold the password."""

from __future__ import annotations

import asyncio
import os
import re
import ssl
from collections.abc import Callable
from pathlib import Path

import aiosmtplib
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.imapclient import SocketTimeout

from adapters.channel import CheckResult, SecretLookup, unset_secrets
from adapters.email.settings import EmailSettings, ImapMailboxSettings, OutgoingMailSettings

TIMEOUT_SECONDS = 15.0
SECURITY = {"tls": "TLS", "starttls": "STARTTLS", "none": "no TLS"}
_BYTES_REPR = re.compile(r"^b['\"](.*)['\"]$")


async def email_checks(
    section: EmailSettings, secret: SecretLookup, data_path: Callable[[str], Path]
) -> list[CheckResult]:
    """One finding per IMAP mailbox, and one for the way replies leave."""
    results = [await asyncio.to_thread(imap_check, box, secret) for box in section.imap]
    out = section.outgoing
    results.append(await relay_check(out, secret) if out.transport == "smtp" else maildir_check(data_path(out.maildir)))
    return results


def imap_check(box: ImapMailboxSettings, secret: SecretLookup) -> CheckResult:
    subject = f"IMAP {box.name}"
    check = f"log in at {box.host}:{box.port} ({SECURITY[box.security]}), folder {box.folder}"
    unset = unset_secrets(subject, check, secret, box.username_env, box.password_env)
    if unset is not None:
        return unset
    context = ssl.create_default_context()
    try:
        client = IMAPClient(
            box.host,
            box.port,
            ssl=box.security == "tls",
            ssl_context=context if box.security == "tls" else None,
            timeout=SocketTimeout(connect=TIMEOUT_SECONDS, read=TIMEOUT_SECONDS),
        )
    except (OSError, IMAPClientError) as error:
        return CheckResult(subject, check, False, f"cannot connect: {error}", "check host, port and security")
    try:
        if box.security == "starttls":
            client.starttls(context)
        client.login(secret(box.username_env) or "", secret(box.password_env) or "")
        if not client.folder_exists(box.folder):
            return CheckResult(subject, check, False, f"no folder {box.folder!r}", "fix folder = or create it")
        moved = box.after_commit == "move" and not client.folder_exists(box.move_to)
        note = f"; {box.move_to!r} does not exist yet, the gateway creates it" if moved else ""
        return CheckResult(subject, check, True, f"logged in, {box.folder!r} found{note}")
    except LoginError as error:
        said = _BYTES_REPR.sub(r"\1", str(error))  # imapclient words it "b'[AUTHENTICATIONFAILED] …'"
        return CheckResult(
            subject, check, False, f"login refused: {said}", f"check {box.username_env} and {box.password_env}"
        )
    except (OSError, IMAPClientError) as error:
        return CheckResult(subject, check, False, f"{type(error).__name__}: {error}", "check security (tls, starttls)")
    finally:
        try:
            client.logout()
        except (OSError, IMAPClientError):
            client.shutdown()


async def relay_check(out: OutgoingMailSettings, secret: SecretLookup) -> CheckResult:
    subject = "SMTP relay"
    login = ", login" if out.username_env else ""
    check = f"EHLO ({SECURITY[out.security]}){login} at {out.host}:{out.port}"
    unset = unset_secrets(subject, check, secret, out.username_env, out.password_env)
    if unset is not None:
        return unset
    client = aiosmtplib.SMTP(
        hostname=out.host,
        port=out.port,
        use_tls=out.security == "tls",
        start_tls=out.security == "starttls",
        username=secret(out.username_env),
        password=secret(out.password_env),
        timeout=min(out.timeout_seconds, TIMEOUT_SECONDS),
    )
    try:
        await client.connect()  # EHLO, STARTTLS and AUTH, as configured
    except aiosmtplib.SMTPAuthenticationError as error:
        hint = f"check {out.username_env} and {out.password_env}"
        return CheckResult(subject, check, False, f"login refused: {error.code} {error.message}", hint)
    except aiosmtplib.SMTPResponseException as error:
        return CheckResult(subject, check, False, f"refused: {error.code} {error.message}", "check security and port")
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        return CheckResult(subject, check, False, f"cannot connect: {error}", "check host, port and security")
    try:
        said = "answered over TLS" if out.security != "none" else "answered (no TLS)"
        return CheckResult(subject, check, True, f"{said}{', logged in' if login else ''}")
    finally:
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()


def maildir_check(folder: Path) -> CheckResult:
    """The Maildir the replies go to, or the nearest folder above it that exists, is writable."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    writable = os.access(existing, os.W_OK)
    detail = f"{existing} is {'writable' if writable else 'not writable'}"
    return CheckResult("Maildir", f"replies written to {folder}", writable, detail, "" if writable else "fix maildir =")
