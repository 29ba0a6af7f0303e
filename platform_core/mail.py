"""The e-mail port every service sends through (invoices, notifications), and its two adapters.

Adapters: Amazon SES v2 in AWS (`SesMailer`), SMTP locally (`SmtpMailer`, the local
platform's mail sink, a real aiosmtpd server). A mail carries an idempotency key: a
sender that retries after a crash passes the same key, and the service's own send
record makes sure one key leaves as one message at most. The key travels as the
`X-Idempotency-Key` header and is the base of the Message-ID (a message sent again
after an unknown outcome is recognisably the same message), and as an SES message
tag, so SES's delivery events (sends, bounces, complaints) name the mail they are about.

Errors say what a retry can do:
- `MailRefused`: never accepted (invalid or suppressed address, rejected content); do not retry.
- `MailUnavailable`: not taken now (throttled, unreachable); the same send may be retried.
- `MailOutcomeUnknown` (a `MailUnavailable`): the request left but no answer came back (a read
  timeout, a connection lost during DATA): the provider may have accepted it. A sender that
  must never send twice reconciles first (e.g. waits for SES's Send event); one that prefers
  a rare duplicate to a lost mail retries it as unavailable.
"""

from __future__ import annotations

import hashlib
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from typing import Any, Protocol
from urllib.parse import urlsplit

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

IDEMPOTENCY_HEADER = "X-Idempotency-Key"
# The SES message tag carrying the idempotency key (in every SES event of the message).
IDEMPOTENCY_TAG = "idempotency_key"
# SES's SMTP interface: the configuration set and the message tags of a mail sent over SMTP.
SES_CONFIGURATION_SET_HEADER = "X-SES-CONFIGURATION-SET"
SES_TAGS_HEADER = "X-SES-MESSAGE-TAGS"
# SES v2 errors that no retry can cure.
SES_REFUSALS = frozenset(
    {
        "MessageRejected",
        "MailFromDomainNotVerifiedException",
        "AccountSuspendedException",
        "BadRequestException",
    }
)


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
    # Provider message tags (SES: EmailTags, found again in its delivery events); letters, digits, _ and -.
    tags: dict[str, str] = field(default_factory=dict)


class MailRefused(Exception):
    """The provider refused this mail for good (invalid address, suppressed, content rejected)."""


class MailUnavailable(Exception):
    """The provider could not take the mail now (throttled, unreachable); the same send may be retried."""


class MailOutcomeUnknown(MailUnavailable):
    """The mail left but no answer came back: the provider may have accepted it."""


class Mailer(Protocol):
    def send(self, mail: OutgoingMail) -> str:
        """Send one mail; the provider's message id. Raises MailRefused or MailUnavailable."""
        ...


def message_id(mail: OutgoingMail) -> str:
    """The Message-ID of a mail: the same for every send of the same idempotency key."""
    domain = mail.sender.rsplit("@", 1)[-1]
    return f"<{hashlib.sha256(mail.idempotency_key.encode()).hexdigest()[:32]}@{domain}>"


def mime_message(mail: OutgoingMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id(mail)
    message[IDEMPOTENCY_HEADER] = mail.idempotency_key
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    for name, value in mail.headers.items():
        message[name] = value
    # Quoted-printable keeps the message 7-bit clean: no server needs 8BITMIME to take it.
    message.set_content(mail.text, cte="quoted-printable")
    if mail.html:
        message.add_alternative(mail.html, subtype="html", cte="quoted-printable")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


class SmtpMailer:
    """SMTP (`smtp://host:port`), as the local platform's mail sink speaks it.

    The transaction is driven step by step so a failure is placed: before DATA nothing was
    sent (refused or unavailable); once the message is on the wire, a lost connection or a
    timeout is an unknown outcome.
    """

    def __init__(self, url: str, timeout_seconds: float = 10.0, configuration_set: str | None = None):
        """configuration_set: named as SES's SMTP interface takes it (X-SES-CONFIGURATION-SET, with the
        tags in X-SES-MESSAGE-TAGS), so a server playing SES, as the local mail sink does, can report
        on the message the way SES's events do."""
        parts = urlsplit(url)
        if parts.scheme != "smtp" or not parts.hostname:
            raise ValueError(f"not an smtp://host:port URL: {url!r}")
        self._host = parts.hostname
        self._port = parts.port or 25
        self._timeout = timeout_seconds
        self._configuration_set = configuration_set

    def send(self, mail: OutgoingMail) -> str:
        message = mime_message(mail)
        if self._configuration_set:
            tags = {IDEMPOTENCY_TAG: mail.idempotency_key, **mail.tags}
            message[SES_CONFIGURATION_SET_HEADER] = self._configuration_set
            message[SES_TAGS_HEADER] = ", ".join(f"{name}={tag_value(value)}" for name, value in tags.items())
        try:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        except OSError as exc:
            raise MailUnavailable(f"SMTP server {self._host}:{self._port} unreachable: {exc}") from exc
        try:
            self._envelope(smtp, mail)
            self._data(smtp, message)
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
        return str(message["Message-ID"])

    def _envelope(self, smtp: smtplib.SMTP, mail: OutgoingMail) -> None:
        """EHLO, MAIL FROM and RCPT TO: nothing is sent yet, whatever fails here."""
        try:
            smtp.ehlo_or_helo_if_needed()
            _check(*smtp.mail(mail.sender), what="MAIL FROM")
            refused = {}
            for recipient in mail.to:
                code, reply = smtp.rcpt(recipient)
                if code not in (250, 251):
                    refused[recipient] = (code, reply)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(f"SMTP server {self._host}:{self._port}: {exc}") from exc
        if refused:
            codes = {code for code, _ in refused.values()}
            if all(500 <= code < 600 for code in codes):
                raise MailRefused(f"recipients refused: {refused}")
            raise MailUnavailable(f"recipients not taken now: {refused}")

    def _data(self, smtp: smtplib.SMTP, message: EmailMessage) -> None:
        try:
            code, reply = smtp.data(message.as_bytes(policy=SMTP))
        except smtplib.SMTPDataError as exc:
            _check(exc.smtp_code, exc.smtp_error, what="DATA")
        except (OSError, smtplib.SMTPException) as exc:
            raise MailOutcomeUnknown(f"SMTP connection lost during DATA: {exc}") from exc
        else:
            _check(code, reply, what="DATA")


def _check(code: int, reply: bytes | str, *, what: str) -> None:
    if 200 <= code < 300:
        return
    if 500 <= code < 600:
        raise MailRefused(f"SMTP {what} {code}: {reply!r}")
    raise MailUnavailable(f"SMTP {what} {code}: {reply!r}")


class SesMailer:
    """Amazon SES v2 SendEmail with the raw MIME message, through the service's configuration set."""

    def __init__(self, sesv2: Any, configuration_set: str | None = None):
        self._ses = sesv2
        self._configuration_set = configuration_set

    def send(self, mail: OutgoingMail) -> str:
        tags = {IDEMPOTENCY_TAG: mail.idempotency_key, **mail.tags}
        request: dict[str, Any] = {
            "FromEmailAddress": mail.sender,
            "Destination": {"ToAddresses": list(mail.to)},
            "Content": {"Raw": {"Data": mime_message(mail).as_bytes(policy=SMTP)}},
            "EmailTags": [{"Name": name, "Value": tag_value(value)} for name, value in tags.items()],
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            return str(self._ses.send_email(**request)["MessageId"])
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in SES_REFUSALS:
                raise MailRefused(f"SES refused the message: {code}") from exc
            raise MailUnavailable(f"SES could not take the message: {code}") from exc
        except (EndpointConnectionError, ConnectTimeoutError) as exc:
            raise MailUnavailable(f"SES unreachable: {exc}") from exc
        except (ReadTimeoutError, ConnectionClosedError) as exc:
            raise MailOutcomeUnknown(f"SES did not answer: {exc}") from exc


def tag_value(value: str) -> str:
    """An SES tag value: letters, digits, _ and - only, at most 256 characters."""
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in value)[:256]
