"""The help-desk web form (`/soporte`) and status lookup (`/soporte/estado`): pages, field checks, CSRF, rate limits."""

from adapters.web.form import PRIORITY_HELP, SupportForm, form_from_payload, form_payload, read_support_form
from adapters.web.pages import MOUNT_PATH, Receipt, StatusView, web_pages
from adapters.web.security import CsrfTokens, RateLimiter

__all__ = [
    "MOUNT_PATH",
    "PRIORITY_HELP",
    "CsrfTokens",
    "RateLimiter",
    "Receipt",
    "StatusView",
    "SupportForm",
    "form_from_payload",
    "form_payload",
    "read_support_form",
    "web_pages",
]
