"""The store's schema as numbered migrations, in SQL that both SQLite and PostgreSQL accept.

Portability rules: timestamps are ISO 8601 UTC text (they sort as text), JSON is text, ids are
`{AUTO_ID}` (replaced per backend), binary data is `{BLOB}`. Never edit a released migration: add one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ticketing.store.sql import SqlRunner

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE inbox (
        id {AUTO_ID},
        channel TEXT NOT NULL,
        native_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        raw {BLOB} NOT NULL,
        meta TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT NOT NULL DEFAULT '',
        processed_at TEXT,
        ticket_number TEXT,
        CONSTRAINT inbox_channel_native UNIQUE (channel, native_id)
    );
    CREATE INDEX inbox_pending ON inbox (status, id);

    CREATE TABLE counters (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );

    CREATE TABLE tickets (
        id {AUTO_ID},
        number TEXT NOT NULL UNIQUE,
        requester_address TEXT NOT NULL,
        requester_name TEXT NOT NULL,
        channel TEXT NOT NULL,
        organisation TEXT,
        plan TEXT NOT NULL,
        status TEXT NOT NULL,
        priority TEXT NOT NULL,
        level INTEGER,
        subject TEXT NOT NULL,
        language TEXT NOT NULL,
        received_at TEXT NOT NULL,
        response_due TEXT,
        resolution_due TEXT,
        responded_at TEXT,
        resolved_at TEXT,
        paused_since TEXT,
        pauses TEXT NOT NULL DEFAULT '[]',
        assignee TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX tickets_requester ON tickets (requester_address);

    CREATE TABLE messages (
        id {AUTO_ID},
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        direction TEXT NOT NULL,
        channel TEXT NOT NULL,
        native_id TEXT NOT NULL,
        sender TEXT NOT NULL,
        body TEXT NOT NULL,
        original_body TEXT NOT NULL,
        at TEXT NOT NULL,
        outbox_id INTEGER
    );
    CREATE INDEX messages_ticket ON messages (ticket_id, id);
    CREATE INDEX messages_native ON messages (native_id);

    CREATE TABLE attachments (
        id {AUTO_ID},
        message_id INTEGER NOT NULL REFERENCES messages (id),
        filename TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        content {BLOB},
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX attachments_message ON attachments (message_id);

    CREATE TABLE events (
        id {AUTO_ID},
        ticket_id INTEGER NOT NULL REFERENCES tickets (id),
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX events_ticket ON events (ticket_id, id);

    CREATE TABLE outbox (
        id {AUTO_ID},
        ticket_number TEXT NOT NULL,
        channel TEXT NOT NULL,
        recipient TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
    """,
    # 2: where each IMAP mailbox's intake stands (UIDVALIDITY and UIDs are 32-bit unsigned: BIGINT)
    """
    CREATE TABLE mailbox_state (
        mailbox TEXT PRIMARY KEY,
        uidvalidity BIGINT NOT NULL,
        last_uid BIGINT NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # 3: addresses our replies bounced from, and the index the acknowledgement cap counts with
    """
    CREATE TABLE address_flags (
        address TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        ticket_number TEXT,
        flagged_at TEXT NOT NULL
    );
    CREATE INDEX outbox_recipient ON outbox (recipient, created_at);
    """,
    # 4: delivery reports for sent replies (the channel's id for them, and what became of them); attachments the
    # channel sent as links, fetched after the ack
    """
    ALTER TABLE outbox ADD COLUMN provider_id TEXT;
    ALTER TABLE outbox ADD COLUMN delivery_state TEXT;
    ALTER TABLE outbox ADD COLUMN delivery_error TEXT NOT NULL DEFAULT '';
    CREATE INDEX outbox_provider ON outbox (provider_id);
    ALTER TABLE attachments ADD COLUMN url TEXT NOT NULL DEFAULT '';
    ALTER TABLE attachments ADD COLUMN fetch_status TEXT NOT NULL DEFAULT '';
    ALTER TABLE attachments ADD COLUMN fetch_attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE attachments ADD COLUMN fetch_next_at TEXT;
    CREATE INDEX attachments_fetch ON attachments (fetch_status, fetch_next_at);
    CREATE INDEX messages_requester ON messages (sender, channel, direction, at);
    """,
    # 5: where each ticket lives in the agents' console (a Slack channel and the parent message's ts)
    """
    CREATE TABLE console_threads (
        ticket_number TEXT PRIMARY KEY,
        channel_id TEXT NOT NULL,
        thread_ts TEXT NOT NULL,
        CONSTRAINT console_thread_ts UNIQUE (channel_id, thread_ts)
    );
    """,
    # 6: where answers to each client message go (a relay's conversation), so every reply finds the client
    """
    ALTER TABLE messages ADD COLUMN reply_to TEXT NOT NULL DEFAULT '';
    """,
    # 7: the channel a ticket's replies go out on when the request came in by another (the web form, a phone call)
    """
    ALTER TABLE tickets ADD COLUMN reply_channel TEXT NOT NULL DEFAULT '';
    """,
    # 8: the requester's colleagues copied on a ticket (a JSON list of addresses)
    """
    ALTER TABLE tickets ADD COLUMN watchers TEXT NOT NULL DEFAULT '[]';
    """,
    # 9: replies keep their order within (channel, recipient, order scope): the console per ticket thread. The
    # index makes "is an older one still waiting?" a lookup, so a pass over the due replies is O(batch).
    """
    ALTER TABLE outbox ADD COLUMN order_scope TEXT NOT NULL DEFAULT '';
    CREATE INDEX outbox_order ON outbox (status, channel, recipient, order_scope, id);
    """,
    # 10: a worker claims the replies it sends (claimed_by, until claimed_until), so two replicas never send one
    # reply at once; a claim that lapses without an outcome (the process died mid-send) is counted in
    # unknown_outcomes, and the next attempt may be a duplicate the client sees.
    """
    ALTER TABLE outbox ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
    ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
    ALTER TABLE outbox ADD COLUMN unknown_outcomes INTEGER NOT NULL DEFAULT 0;
    """,
    # 11: the SLA monitor's timers (a warning before a deadline, the breach at it), planned in the transaction that
    # changes the ticket and fired once each; a ticket remembers which of its deadlines it missed.
    """
    CREATE TABLE timers (
        id {AUTO_ID},
        ticket_number TEXT NOT NULL,
        kind TEXT NOT NULL,
        due_at TEXT NOT NULL,
        timer_key TEXT NOT NULL UNIQUE,
        data TEXT NOT NULL DEFAULT '{{}}',
        status TEXT NOT NULL DEFAULT 'pending',
        created_at TEXT NOT NULL,
        finished_at TEXT
    );
    CREATE INDEX timers_due ON timers (status, due_at);
    CREATE INDEX timers_ticket ON timers (ticket_number, status);
    ALTER TABLE tickets ADD COLUMN breaches TEXT NOT NULL DEFAULT '[]';
    """,
    # 12: a request first not covered that an agent accepted, with a plan: its deadlines count from the acceptance
    """
    ALTER TABLE tickets ADD COLUMN accepted_at TEXT;
    """,
    # 13: desk-wide jobs done once (the monthly report of 2026-11): the row is the claim, so one replica does it
    """
    CREATE TABLE desk_jobs (
        job_key TEXT PRIMARY KEY,
        done_at TEXT NOT NULL
    );
    """,
    # 14: leases on work one replica does at a time (reading one IMAP mailbox): the holder renews it; when it
    # stops renewing (it died) another takes the lease once it expires
    """
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    """,
    # 15: rate limits every replica counts in (the web form's submissions, status lookups): one counter per key
    # and window, dropped once the window has passed
    """
    CREATE TABLE rate_counts (
        bucket TEXT PRIMARY KEY,
        hits INTEGER NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX rate_counts_expiry ON rate_counts (expires_at);
    """,
    # 16: reads of pending inbox items claimed by one replica (parse and normalize once, attempts counted once):
    # the claim is renewed while the read runs and lapses when its replica dies
    """
    ALTER TABLE inbox ADD COLUMN read_by TEXT NOT NULL DEFAULT '';
    ALTER TABLE inbox ADD COLUMN read_until TEXT;
    """,
    # 17: what /metrics reads at every scrape, off indexes rather than whole tables (at 100,000 tickets the scans
    # held the event loop for 140 ms): tickets by status, and the few outbox items with unknown outcomes
    """
    CREATE INDEX tickets_status ON tickets (status);
    CREATE INDEX outbox_unknown ON outbox (unknown_outcomes) WHERE unknown_outcomes > 0;
    """,
    # 18: what the pipeline looks up for every message, found without walks: the read claims one replica holds
    # (each inbox pass renews them: with a backlog of 40,000 the walk held the event loop for 5 ms a pass), and a
    # chat client's latest message on an open ticket (a ticket of 440 messages took 255 µs to search, now 14 µs)
    """
    CREATE INDEX inbox_reading ON inbox (read_by) WHERE status = 'pending';
    CREATE INDEX messages_ticket_in ON messages (ticket_id, direction, at);
    """,
    # 19: each channel's latest message in, as the admin pages show it, found without reading the whole inbox
    """
    CREATE INDEX inbox_channel_received ON inbox (channel, received_at);
    """,
)

DIALECTS: dict[str, dict[str, str]] = {
    "sqlite": {"AUTO_ID": "INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB": "BLOB"},
    "postgresql": {"AUTO_ID": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BLOB": "BYTEA"},
}


def migration_statements(index: int, dialect: str) -> list[str]:
    """The statements of migration `index` (0-based) for one dialect, split and ready to execute."""
    sql = MIGRATIONS[index].format(**DIALECTS[dialect])
    return [part.strip() for part in sql.split(";") if part.strip()]


async def apply_migrations(runner: SqlRunner, dialect: str) -> int:
    """Bring the schema up to date inside the caller's transaction; returns the resulting version."""
    await runner.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = await runner.fetchone("SELECT MAX(version) AS version FROM schema_version")
    current = int(row["version"]) if row and row["version"] is not None else 0
    if current > len(MIGRATIONS):
        raise RuntimeError(f"the database has schema version {current}, newer than this program ({len(MIGRATIONS)})")
    for index in range(current, len(MIGRATIONS)):
        for statement in migration_statements(index, dialect):
            await runner.execute(statement)
        await runner.execute("INSERT INTO schema_version (version) VALUES (?)", [index + 1])
    return len(MIGRATIONS)
