"""WhatsApp through Twilio: the webhooks Twilio posts to, the form reader, the sender and the media download. The
gateway runs it through `adapters.whatsapp.channel`."""

CHANNEL = "whatsapp"  # its name under [channels], in the inbox and in the outbox
MOUNT_PATH = "/webhooks/twilio"  # where its webhooks are mounted: Twilio signs the URL, so it is defined here only
