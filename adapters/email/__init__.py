"""The email channel: mail to the support addresses through our SMTP intake or read from IMAP mailboxes, replies
into a local Maildir or through an SMTP relay. The gateway runs it through `adapters.email.channel`."""

CHANNEL = "email"  # its name under [channels], in the inbox and in the outbox
