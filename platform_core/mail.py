"""The e-mail port every service sends through (invoices, notifications).

Adapters: Amazon SES v2 in AWS, SMTP locally (a real SMTP server, aiosmtpd,
run by the local platform). A mail carries an idempotency key: a sender that
retries after a crash passes the same key, and the adapter (or the service's
own send record) makes sure one key leaves as one message at most.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. application/pdf
    data: bytes


@dataclass(frozen=True)
class OutgoingMail:
    sender: str
    to: tuple[str, ...]
    subject: str
    text: str
    idempotency_key: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None
    # Extra headers (e.g. List-Unsubscribe); the adapter adds Message-ID and the idempotency header.
    headers: dict[str, str] = field(default_factory=dict)


class MailRefused(Exception):
    """The provider refused this mail for good (invalid address, suppressed, content rejected)."""


class MailUnavailable(Exception):
    """The provider could not take the mail now (throttled, unreachable); the same send may be retried."""


class Mailer(Protocol):
    def send(self, mail: OutgoingMail) -> str:
        """Send one mail; the provider's message id. Raises MailRefused or MailUnavailable."""
        ...
