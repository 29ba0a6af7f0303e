"""How the invoice service's e-mail leaves: Amazon SES v2 in AWS, SMTP locally (the local mail sink).

Both adapters implement platform_core.mail's `Mailer` and tell a refusal (the address or the
content will never be accepted: not retried) from an outage (throttled, unreachable: retried).
The idempotency key travels as the `X-Idempotency-Key` header and is the base of the
Message-ID, so a message sent twice after an unknown outcome is recognisably the same message.
"""

from __future__ import annotations

import hashlib
import smtplib
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import ClientError, EndpointConnectionError

from platform_core.mail import MailRefused, MailUnavailable, OutgoingMail

IDEMPOTENCY_HEADER = "X-Idempotency-Key"
# SES v2 errors that no retry can cure.
SES_REFUSALS = {
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "AccountSuspendedException",
    "BadRequestException",
}


def mime_message(mail: OutgoingMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    domain = mail.sender.rsplit("@", 1)[-1]
    message["Message-ID"] = f"<{hashlib.sha256(mail.idempotency_key.encode()).hexdigest()[:32]}@{domain}>"
    message[IDEMPOTENCY_HEADER] = mail.idempotency_key
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    for attachment in mail.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


class SmtpMailer:
    """SMTP (`smtp://host:port`), as the local platform's mail sink speaks it."""

    def __init__(self, url: str, timeout_seconds: float = 10.0):
        parts = urlsplit(url)
        if parts.scheme != "smtp" or not parts.hostname:
            raise ValueError(f"not an smtp://host:port URL: {url!r}")
        self._host = parts.hostname
        self._port = parts.port or 25
        self._timeout = timeout_seconds

    def send(self, mail: OutgoingMail) -> str:
        message = mime_message(mail)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailRefused(f"recipients refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise MailRefused(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
            raise MailUnavailable(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailUnavailable(f"SMTP server {self._host}:{self._port} unreachable: {exc}") from exc
        if refused:
            raise MailRefused(f"recipients refused: {refused}")
        return str(message["Message-ID"])


class SesMailer:
    """Amazon SES v2 SendEmail with the raw MIME message, through the service's configuration set."""

    def __init__(self, sesv2: Any, configuration_set: str | None = None):
        self._ses = sesv2
        self._configuration_set = configuration_set

    def send(self, mail: OutgoingMail) -> str:
        request: dict[str, Any] = {
            "FromEmailAddress": mail.sender,
            "Destination": {"ToAddresses": list(mail.to)},
            "Content": {"Raw": {"Data": mime_message(mail).as_bytes()}},
            # SES event destinations (bounces, deliveries) carry the tags: the key finds the invoice.
            "EmailTags": [{"Name": "idempotency_key", "Value": _tag(mail.idempotency_key)}],
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
        except EndpointConnectionError as exc:
            raise MailUnavailable(f"SES unreachable: {exc}") from exc


def _tag(value: str) -> str:
    # SES tag values allow letters, digits, _ and - only.
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in value)[:256]
