"""The one error type commands raise for a problem the user can fix; the CLI prints it as one line."""


class CommandError(Exception):
    """A bad argument, a missing file or ticket: reported as `gateway: error: <message>`."""
