"""`config/customers.toml`: the organisations with a contract, and the addresses that identify each of them.

Addresses arrive here as the admin typed them and leave normalised (emails and domains lowercased, phone numbers
in E.164); each address may identify one organisation only, and each plan must be one gateway.toml defines.
"""

from __future__ import annotations

import functools
from pathlib import Path

from adapters.phone_numbers import to_e164
from gateway.config.problems import Problems, read_toml, validate
from gateway.config.settings import CustomersFile
from gateway.config.toml_locate import locate
from ticketing.customers import Organisation


def _report_entry(problems: Problems, path: Path, text: str, entry_id: str, index: int, field: str, what: str) -> None:
    loc = ("organisation", index, field)
    problems.add(path, f"organisation[{entry_id}].{field}", what, locate(text, loc))


def load_organisations(path: Path, plans: list[str], region: str, problems: Problems) -> list[Organisation]:
    """Every organisation of the file; the problems noted (and those entries kept as far as they are valid)."""
    loaded = read_toml(path, problems)
    if loaded is None:
        return []
    data, text = loaded
    customers = validate(CustomersFile, data, path, text, problems)
    return organisations(customers, plans, region, path, text, problems) if customers else []


def organisations(
    customers: CustomersFile, plans: list[str], region: str, path: Path, text: str, problems: Problems
) -> list[Organisation]:
    found: list[Organisation] = []
    owner: dict[str, str] = {}
    for index, entry in enumerate(customers.organisation):
        report = functools.partial(_report_entry, problems, path, text, entry.id, index)
        if entry.plan not in plans:
            report("plan", f"unknown plan {entry.plan!r} (gateway.toml defines: {', '.join(plans)})")
        phones = []
        for raw in entry.phones:
            number = to_e164(raw, region)
            if number is None:
                report("phones", f"not a phone number: {raw!r}")
                continue
            phones.append(number)
        emails = [email.strip().lower() for email in entry.emails]
        domains = [domain.strip().lower().lstrip("@") for domain in entry.domains]
        for field, values in (
            ("emails", emails),
            ("domains", domains),
            ("phones", phones),
            ("slack_users", entry.slack_users),
            ("slack_channels", entry.slack_channels),
        ):
            for value in values:
                if field == "emails" and value.count("@") != 1:
                    report(field, f"not an email address: {value!r}")
                previous = owner.setdefault(value, entry.id)
                if previous != entry.id:
                    report(field, f"{value!r} already identifies organisation {previous!r}")
        found.append(
            Organisation(
                id=entry.id,
                name=entry.name,
                plan=entry.plan,
                language=entry.language,
                emails=frozenset(emails),
                domains=frozenset(domains),
                phones=frozenset(phones),
                chat_users=frozenset([*entry.slack_users, *entry.slack_channels]),
            )
        )
    return found
