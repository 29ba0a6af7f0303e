"""What the providers report about the messages they took: SES events, SMS events.

They arrive on the team's queue beside the platform's events: SES publishes its configuration
set's events (Send, Delivery, Bounce, Complaint, Reject) to EventBridge, where a rule on the
configuration set forwards them to the queue; the SMS service's configuration set publishes its
events to an SNS topic the queue subscribes to. Each report names its delivery by the key the
service sent (the SES message tag `idempotency_key`, the SMS message's Context `delivery_id`).

- Accepted (SES Send, SMS TEXT_PENDING/QUEUED/SUCCESSFUL): the provider took the message, which
  settles an attempt whose outcome was unknown (delivery.py): it is not sent again.
- Delivered: the delivery becomes `delivered`, announced.
- Bounced (permanent), complained: `bounced`, announced, and the address is suppressed for
  every later notification. A transient bounce is announced but suppresses nothing.
- Rejected (SES Reject, SMS blocked/invalid/opted out): `bounced` with the provider's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lambdas.notifications.catalog import Channel
from lambdas.notifications.delivery import Delivery, Status
from lambdas.notifications.events import outcome_event
from lambdas.notifications.store import DeliveryLedger, Suppressions
from platform_core.mail import IDEMPOTENCY_TAG

SES_KINDS = {
    "Send": "accepted",
    "Delivery": "delivered",
    "Bounce": "bounced",
    "Complaint": "complained",
    "Reject": "rejected",
}
SMS_KINDS = {
    "TEXT_PENDING": "accepted",
    "TEXT_QUEUED": "accepted",
    "TEXT_SUCCESSFUL": "accepted",
    "TEXT_DELIVERED": "delivered",
    "TEXT_BLOCKED": "rejected",
    "TEXT_INVALID": "rejected",
    "TEXT_OPTED_OUT": "complained",
    "TEXT_CARRIER_UNREACHABLE": "bounced",
    "TEXT_UNREACHABLE": "bounced",
    "TEXT_INVALID_MESSAGE": "rejected",
    "TEXT_SPAM": "rejected",
}


@dataclass(frozen=True)
class Report:
    delivery_id: str
    kind: str  # accepted, delivered, bounced, complained, rejected
    provider_message_id: str
    addresses: tuple[str, ...]
    at: datetime
    bounce_type: str = ""  # permanent, transient, complaint
    detail: str = ""


def is_report(message: dict[str, Any]) -> bool:
    """A provider's report rather than a platform event (which has an event_type and no eventType)."""
    return message.get("source") == "aws.ses" or str(message.get("eventType", "")).startswith("TEXT_")


def report_from(message: dict[str, Any]) -> Report | None:
    """The report a queue message carries (None: one this service has no use for)."""
    if message.get("source") == "aws.ses":
        return _ses(message["detail"], message.get("time"))
    return _sms(message)


def _ses(detail: dict[str, Any], time: str | None) -> Report | None:
    kind = SES_KINDS.get(detail.get("eventType", ""))
    mail = detail.get("mail", {})
    keys = mail.get("tags", {}).get(IDEMPOTENCY_TAG, [])
    if kind is None or not keys:
        return None
    at = _when(time or mail.get("timestamp"))
    addresses = tuple(mail.get("destination", []))
    bounce_type, text = "", ""
    if kind == "bounced":
        bounce = detail.get("bounce", {})
        bounce_type = "permanent" if bounce.get("bounceType") == "Permanent" else "transient"
        recipients = bounce.get("bouncedRecipients", [])
        addresses = tuple(r["emailAddress"] for r in recipients) or addresses
        text = "; ".join(str(r.get("diagnosticCode", "")) for r in recipients if r.get("diagnosticCode"))
        text = text or f"{bounce.get('bounceType')}/{bounce.get('bounceSubType')}"
    elif kind == "complained":
        bounce_type = "complaint"
        complaint = detail.get("complaint", {})
        addresses = tuple(r["emailAddress"] for r in complaint.get("complainedRecipients", [])) or addresses
        text = str(complaint.get("complaintFeedbackType", "complaint"))
    elif kind == "rejected":
        bounce_type, text = "permanent", str(detail.get("reject", {}).get("reason", "rejected"))
    return Report(keys[0], kind, str(mail.get("messageId", "")), addresses, at, bounce_type, text)


def _sms(event: dict[str, Any]) -> Report | None:
    kind = SMS_KINDS.get(str(event.get("eventType", "")))
    key = (event.get("context") or {}).get("delivery_id")
    if kind is None or not key:
        return None
    timestamp = event.get("eventTimestamp")
    at = datetime.fromtimestamp(timestamp / 1000, UTC) if timestamp else datetime.now(UTC)
    bounce_type = {"complained": "complaint", "bounced": "permanent", "rejected": "permanent"}.get(kind, "")
    return Report(
        str(key),
        kind,
        str(event.get("messageId", "")),
        (str(event.get("destinationPhoneNumber", "")),),
        at,
        bounce_type,
        str(event.get("messageStatusDescription", "")),
    )


def _when(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Feedback:
    """Applies reports to the ledger and the suppression list, and announces delivered and bounced."""

    def __init__(self, ledger: DeliveryLedger, suppressions: Suppressions, emitter: Any, mail_provider: str):
        self._ledger = ledger
        self._suppressions = suppressions
        self._emitter = emitter
        self._mail_provider = mail_provider

    def apply(self, report: Report) -> Delivery | None:
        if report.kind == "accepted":
            return self._ledger.report(
                report.delivery_id, provider_accepted=True, provider_message_id=report.provider_message_id
            )
        if report.bounce_type in ("permanent", "complaint"):
            for address in report.addresses:
                self._suppressions.suppress(address, f"{report.kind}: {report.detail}"[:500], report.at)
        status = Status.DELIVERED if report.kind == "delivered" else Status.BOUNCED
        fields: dict[str, Any] = {"status": status.value, "provider_accepted": True}
        if report.detail:
            fields["detail"] = report.detail[:1000]
        current = self._ledger.delivery(report.delivery_id)
        if current is None or current.status in (Status.FAILED, Status.SKIPPED, Status.BOUNCED):
            return current  # not ours, or already over: a late delivery report changes nothing
        if current.status is not Status.SENT and status is Status.DELIVERED:
            # Delivered before the sender recorded it sent (an unknown outcome): settle it first.
            return self._ledger.report(report.delivery_id, provider_accepted=True)
        updated = self._ledger.report(report.delivery_id, **fields)
        if updated is not None:
            self._announce(updated, report)
        return updated

    def _announce(self, delivery: Delivery, report: Report) -> None:
        if delivery.status.value in delivery.announced:
            return
        notification = self._ledger.notification(delivery.notification_id)
        if notification is None:
            return
        provider = self._mail_provider if delivery.channel is Channel.EMAIL else "sms"
        event = outcome_event(
            notification, delivery, report.at, provider=provider, bounce_type=report.bounce_type
        )
        self._emitter.emit([event], notification.correlation_id)
        self._ledger.announced(delivery.delivery_id, delivery.status)
