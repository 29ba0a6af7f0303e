"""The local mail sink: a real SMTP server (aiosmtpd) that keeps every message it accepts.

Services that declare `mail` send to it through their SMTP transport (the local platform sets
their MAIL_SMTP_URL); in AWS the same services send through SES v2. Each accepted message is
kept in memory and written as an .eml file under the platform's work directory, so tests,
`make demo` and people (any mail client opens .eml) can inspect what would have been sent.
Like a provider, it can refuse recipients (`refused`), answering SMTP 550.

It also plays SES's event publishing for mail sent with a configuration set (SES's SMTP
headers X-SES-CONFIGURATION-SET and X-SES-MESSAGE-TAGS): each accepted message makes a Send
event, then per recipient a Delivery, or a permanent Bounce for addresses in `bounced`, or a
Delivery and a Complaint for those in `complained`, shaped as SES puts them on EventBridge
(source aws.ses, the SES event as detail, the message's tags in detail.mail.tags). They are
kept (`events`) and handed to each listener; on the local platform a listener puts them on the
local EventBridge, whose rules route them as in AWS.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from local_platform.aws_endpoint import free_port
from platform_core.aws import client

SMTP_URL_ENV = "MAIL_SMTP_URL"
SES_CONFIGURATION_SET_HEADER = "X-SES-CONFIGURATION-SET"
SES_TAGS_HEADER = "X-SES-MESSAGE-TAGS"
DETAIL_TYPES = {
    "Send": "Email Sent",
    "Delivery": "Email Delivered",
    "Bounce": "Email Bounced",
    "Complaint": "Email Complaint Received",
}


class _Handler:
    def __init__(self, sink: MailSink):
        self._sink = sink

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.lower() in self._sink.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._sink.keep(bytes(envelope.content), tuple(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class MailSink:
    """A platform component (start/stop/status) and a context manager for tests."""

    name = "mail-sink"

    def __init__(self, directory: Path | None = None, host: str = "127.0.0.1"):
        self.directory = directory
        self.host = host
        self.port = 0
        self.refused: set[str] = set()
        self.bounced: set[str] = set()
        self.complained: set[str] = set()
        self.events: list[dict[str, Any]] = []
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self.listener_errors: list[str] = []
        self._messages: list[tuple[EmailMessage, tuple[str, ...]]] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self, platform: Any = None) -> str:
        if platform is not None and self.directory is None and platform.logs_dir is not None:
            self.directory = Path(platform.logs_dir).parent / "mail"
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)
        self._controller.start()
        if platform is not None:
            platform.publish("mail_sink", {"smtp_url": self.url, "directory": str(self.directory)})
            for name, service in platform.config.services.items():
                if service.mail is not None:
                    platform.extend_function_environment(name, {SMTP_URL_ENV: self.url})
            if any(s.mail is not None and s.mail.feedback for s in platform.config.services.values()):
                self.listeners.append(_event_bus_publisher())
        return self.url

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def status(self) -> dict[str, Any]:
        return {"smtp_url": self.url if self._controller else None, "received": len(self._messages)}

    def __enter__(self) -> MailSink:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def keep(self, raw: bytes, recipients: tuple[str, ...]) -> None:
        message = message_from_bytes(raw, _class=EmailMessage, policy=policy.default)  # headers decoded
        with self._lock:
            self._messages.append((message, recipients))
            index = len(self._messages)
        if self.directory is not None:
            (self.directory / f"{index:06d}.eml").write_bytes(raw)
        if message[SES_CONFIGURATION_SET_HEADER]:
            for event in ses_events(message, recipients, self.bounced, self.complained):
                with self._lock:
                    self.events.append(event)
                for listener in list(self.listeners):
                    try:
                        listener(event)
                    except Exception as exc:  # a report lost must not turn an accepted message into an error
                        self.listener_errors.append(repr(exc))

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [message for message, _ in self._messages]

    def received_by(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [message for message, to in self._messages if address in to]


def ses_events(
    message: EmailMessage, recipients: tuple[str, ...], bounced: set[str], complained: set[str]
) -> list[dict[str, Any]]:
    """SES's events for one accepted message, as EventBridge carries them."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    # Header values come unfolded but may keep the folding's whitespace.
    tags: dict[str, list[str]] = {
        "ses:configuration-set": [str(message[SES_CONFIGURATION_SET_HEADER]).strip()]
    }
    for pair in str(message[SES_TAGS_HEADER] or "").split(","):
        name, _, value = pair.strip().partition("=")
        if name:
            tags[name] = [value.strip()]
    mail = {
        "timestamp": now,
        "source": str(message["From"]),
        "messageId": str(uuid.uuid4()),
        "destination": list(recipients),
        "headersTruncated": False,
        "commonHeaders": {"messageId": str(message["Message-ID"]), "subject": str(message["Subject"])},
        "tags": tags,
    }
    details: list[dict[str, Any]] = [{"eventType": "Send", "mail": mail, "send": {}}]
    for recipient in recipients:
        address = recipient.lower()
        if address in bounced:
            bounce = {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {
                        "emailAddress": recipient,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                    }
                ],
                "timestamp": now,
                "feedbackId": str(uuid.uuid4()),
            }
            details.append({"eventType": "Bounce", "mail": mail, "bounce": bounce})
            continue
        details.append(
            {"eventType": "Delivery", "mail": mail, "delivery": {"timestamp": now, "recipients": [recipient]}}
        )
        if address in complained:
            complaint = {
                "complainedRecipients": [{"emailAddress": recipient}],
                "timestamp": now,
                "complaintFeedbackType": "abuse",
            }
            details.append({"eventType": "Complaint", "mail": mail, "complaint": complaint})
    return [
        {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": DETAIL_TYPES[detail["eventType"]],
            "source": "aws.ses",
            "time": now,
            "region": "eu-west-1",
            "resources": [],
            "detail": detail,
        }
        for detail in details
    ]


def _event_bus_publisher() -> Callable[[dict[str, Any]], None]:
    """Puts SES's events on the local EventBridge (the moto server), where the rules route them."""
    events = client("events")

    def publish(event: dict[str, Any]) -> None:
        events.put_events(
            Entries=[
                {
                    "Source": event["source"],
                    "DetailType": event["detail-type"],
                    "Detail": json.dumps(event["detail"]),
                }
            ]
        )

    return publish
