"""A signed relay for other chat tools (Teams, Telegram, Matrix, a CRM): each bridge posts signed JSON to its own
webhook, and replies are posted, signed the same way, to its callback URL. The gateway runs it through
`adapters.relay.channel`."""

CHANNEL = "relay"  # its section under [channels]: one `[channels.relay.<name>]` per bridge
MOUNT_PATH = "/webhooks/relay"  # where its webhook is mounted: a bridge posts to MOUNT_PATH/<name>


def channel_for(relay: str) -> str:
    """The inbox and outbox channel of one relay ("relay:teams"): ids are deduplicated, and conversations
    continued, per relay."""
    return f"{CHANNEL}:{relay}"
