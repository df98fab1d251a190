"""Phone calls become written requests: what an operator records in Slack's `/ticket` modal, as from the client.

The submission is committed to the durable inbox first, then turned into a ticket at once so the operator sees the
number in the modal; if that second step fails, the pipeline finishes it from the inbox (the claim on the inbox
item guarantees one ticket either way). The client's acknowledgement goes out on email or WhatsApp, whichever
contact the operator gave.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime

from adapters.phone_numbers import normalised_contact
from adapters.slack import CHANNEL
from adapters.slack.phone_call import PhoneCall
from normalizer import Normalizer
from ticketing.intake import ImmediateIntake
from ticketing.types import InboundMessage, Priority, Trust, WrittenRequest

KIND = "phone_call"
PHONE = "phone"  # the channel a recorded call's ticket came in by


def call_payload(call: PhoneCall) -> bytes:
    """What the inbox keeps of a call: the operator's record, as JSON."""
    return json.dumps(asdict(call), ensure_ascii=False).encode()


def call_request(raw: bytes, received_at: datetime, region: str, normalizer: Normalizer) -> WrittenRequest:
    """The written request of a recorded call; the client's channel is the contact the operator gave."""
    call = PhoneCall(**json.loads(raw))
    email = "@" in call.contact
    contact = normalised_contact(call.contact, region) or call.contact.strip()
    organisation = f" ({call.organisation})" if call.organisation else ""
    note = f"[Llamada telefónica registrada por <@{call.operator}>{organisation}]"
    message = InboundMessage(
        sender_trust=Trust.VERIFIED,  # an operator of ours took the call
        channel=PHONE,
        reply_channel="email" if email else "whatsapp",  # the client is answered at the contact they gave
        native_id=call.native_id,
        sender_address=contact,
        sender_name=call.client_name,
        recipient="phone",
        subject=call.subject,
        text=f"{call.description}\n\n{note}",
        html="",
        received_at=received_at,
        headers={"recorded-by": call.operator},
    )
    request = normalizer.normalize(message)
    priority = Priority(call.priority)  # the operator asked the client: it wins over any cue in the text
    return WrittenRequest(
        message,
        request.body,
        request.original_body,
        request.language,
        priority,
        "stated on the phone",
        None,
    )


class PhoneCallRecorder:
    """`PhoneCallDesk.record` for the Slack events sub-app: commit, create the ticket, return its number."""

    def __init__(self, intake: ImmediateIntake, normalizer: Normalizer, region: str) -> None:
        self._intake = intake
        self._normalizer = normalizer
        self._region = region

    async def __call__(self, call: PhoneCall, raw_submission: bytes) -> str:
        del raw_submission  # the operator's record is what counts; the modal's layout is not
        payload = call_payload(call)
        return await self._intake.record(
            CHANNEL, call.native_id, payload, KIND, lambda at: call_request(payload, at, self._region, self._normalizer)
        )
