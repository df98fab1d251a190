"""Slack: the agents' console (a summary and a thread per ticket), clients who write to the app, and phone calls an
operator records with `/ticket`. The gateway runs it through `adapters.slack.channel`."""

CHANNEL = "slack"  # its name under [channels], and the inbox and outbox channel of clients on Slack
CONSOLE_CHANNEL = "slack_console"  # the outbox channel of the agents' console (summaries, thread lines, prompts)
MOUNT_PATH = "/slack"  # where its sub-app is mounted: Slack posts to MOUNT_PATH/events
