"""Who may page the agents' on-call group: a critical ticket of a covered client, and not too often.

The public web form lets anyone choose "Crítico": a visitor without a contract gets a `not_covered` ticket, which
never pages; and pages are rate-limited per organisation (or requester, without one) and in all, so a flood of
critical requests wakes the on-call group a few times an hour, not a thousand. A ticket over the limit is still
shown as critical in the console, without the mention (as is every redraw of a summary: the page was the post).
An SLA breach pages too, within the same limits. The gateway counts pages in the store, so several replicas
share the limits.
"""

from __future__ import annotations

from datetime import timedelta

import structlog

from adapters.rate_limit import Limiter, MemoryLimiter
from adapters.slack.blocks import ConsoleTicket

NOT_COVERED = "not_covered"


class OncallPages:
    def __init__(self, mention: str, overall: Limiter, per_organisation: Limiter) -> None:
        self._mention = mention
        self._overall = overall  # pages per hour in all
        self._per_organisation = per_organisation  # pages per hour for one organisation
        self._log = structlog.get_logger("adapters.slack.oncall")

    @classmethod
    def in_memory(cls, mention: str, overall_per_hour: int, per_organisation_per_hour: int) -> OncallPages:
        """Limits counted in this process only (tests, a single gateway)."""
        hour = timedelta(hours=1)
        return cls(mention, MemoryLimiter(overall_per_hour, hour), MemoryLimiter(per_organisation_per_hour, hour))

    async def mention_for(self, ticket: ConsoleTicket, first_post: bool) -> str | None:
        """The mention to put in the ticket's parent message, or None. Only a first post pages (Slack does not
        notify on edits): a redraw shows the ticket as critical without the mention."""
        if ticket.priority != "critical" or ticket.status == NOT_COVERED or not first_post:
            return None
        return await self._page(f"organisation:{ticket.organisation or ticket.requester}", ticket.number)

    async def mention_for_breach(self, organisation: str) -> str | None:
        """The mention for an SLA breach of `organisation`'s ticket (covered: only covered tickets have deadlines),
        or None past the rate limits (the overall one counts critical tickets' pages too)."""
        return await self._page(f"organisation:{organisation}", organisation)

    async def _page(self, key: str, about: str) -> str | None:
        if await self._overall.blocked("all") or not await self._per_organisation.allow(key):
            self._log.warning("oncall.page_skipped", about=about, reason="rate limit")
            return None
        await self._overall.allow("all")
        return self._mention
