"""The help desk on the web: the request form at /soporte and the ticket status page at /soporte/estado, with
their field checks, CSRF tokens and rate limits. The gateway runs it through `adapters.web.channel`."""

CHANNEL = "web"  # its name under [channels] and in the inbox
MOUNT_PATH = "/soporte"  # where its pages are mounted
