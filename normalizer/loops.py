"""Mail loop protection: recognise auto-replies (out of office, list traffic) and bounces before we answer them.

Answering an automatic message with an automatic acknowledgement is how mail loops start. These checks look only
at headers, the sender and the subject; they never read the body. Headers are the lowercase-keyed selection the
adapter keeps (see `adapters.email.parse`); other channels pass an empty mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from normalizer.folding import fold

_ROBOT_LOCAL_PARTS = ("mailer-daemon", "postmaster")
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply", "auto-reply"})
_REPLY_PREFIX = r"^\s*(?:(?:re|rv|aw|fw|fwd)\s*:\s*)*"
# Subjects as folded (lowercase, no accents). The phrase must end the subject or be followed by a delimiter, so
# "Fuera de la oficina no tengo VPN" is still a request.
_AUTO_SUBJECT = re.compile(
    _REPLY_PREFIX + r"(?:respuesta automatica|autorespuesta|fuera de (?:la )?oficina|out of (?:the )?office"
    r"|automatic reply|auto[- ]?reply|auto[- ]?response|abwesenheitsnotiz)(?:\s*(?:[:\-(\[]|$))"
    r"|" + _REPLY_PREFIX + r"auto\s*:",
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|failure notice|no se puede entregar|mail delivery fail"
    r"|returned mail|delivery failure|no entregad|notificacion de estado de entrega|mensaje no entregado"
)
_REPORT_TYPE = re.compile(r"report-type\s*=\s*\"?([\w-]+)", re.IGNORECASE)


def _is_robot_sender(sender: str) -> bool:
    local = sender.strip().lower().partition("@")[0]
    return local.startswith(_ROBOT_LOCAL_PARTS)


def _header(headers: Mapping[str, str], name: str) -> str:
    return (headers.get(name) or "").strip()


def _report_type(content_type: str) -> str | None:
    """The report-type of a multipart/report, "" when it has none, None when not a report."""
    if not content_type.strip().lower().startswith("multipart/report"):
        return None
    match = _REPORT_TYPE.search(content_type)
    return match.group(1).lower() if match else ""


def is_auto_reply(headers: Mapping[str, str], subject: str, sender: str) -> bool:
    """True for messages a machine sent on its own: RFC 3834 auto-replies, vacation notices, list and bulk mail."""
    auto_submitted = _header(headers, "auto-submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if _header(headers, "x-autoreply") or _header(headers, "x-autorespond"):
        return True
    suppress = _header(headers, "x-auto-response-suppress").lower()  # Exchange: "do not answer me automatically"
    if any(value in suppress for value in ("all", "oof", "autoreply")):
        return True
    if _header(headers, "precedence").lower() in _BULK_PRECEDENCE:
        return True
    if _header(headers, "list-id"):
        return True
    if _header(headers, "return-path").replace(" ", "") == "<>":
        return True
    if _is_robot_sender(sender):
        return True
    if _report_type(_header(headers, "content-type")) == "disposition-notification":  # read receipts
        return True
    return bool(_AUTO_SUBJECT.search(fold(subject)))


def is_bounce(headers: Mapping[str, str], content_type: str, sender: str, subject: str = "") -> bool:
    """True for delivery failure reports (DSNs): a delivery-status report, or a mailer daemon's failure notice."""
    report_type = _report_type(content_type)
    if report_type == "delivery-status":
        return True
    if _header(headers, "x-failed-recipients"):
        return True
    null_sender = not sender.strip() and _header(headers, "return-path").replace(" ", "") == "<>"
    if _is_robot_sender(sender) or null_sender:
        return report_type is not None or bool(_BOUNCE_SUBJECT.search(fold(subject)))
    return False


_OWN_ID = re.compile(r"^gw-[0-9a-f]{32}@(?P<domain>[^@\s]+)$", re.IGNORECASE)


def is_own_message(native_id: str, headers: Mapping[str, str], sender: str, own_domains: frozenset[str]) -> bool:
    """True for mail the gateway itself sent that came back in (a CC, a forward rule, a relay loop)."""
    own_id = _OWN_ID.match(native_id)
    if own_id and own_id.group("domain").lower() in own_domains:
        return True
    sender_domain = sender.strip().lower().rpartition("@")[2]
    return bool(_header(headers, "x-gateway-ticket")) and sender_domain in own_domains
