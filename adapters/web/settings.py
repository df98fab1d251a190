"""The web help desk's settings (`[channels.web]`): on or off, and the secret that signs its forms."""

from __future__ import annotations

from adapters.settings import Section


class WebSettings(Section):
    """The help-desk web form at /soporte and the ticket status page at /soporte/estado (`[channels.web]`)."""

    enabled: bool = True
    # Signs the forms' CSRF tokens; unset, a random secret is made at start (open forms expire on restart).
    csrf_secret_env: str | None = None
