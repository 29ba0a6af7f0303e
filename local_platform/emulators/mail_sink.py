"""The local mail sink: a real SMTP server (aiosmtpd) that keeps every message it accepts.

Services that declare `mail` send to it through their SMTP transport (the local platform sets
their MAIL_SMTP_URL); in AWS the same services send through SES v2. Each accepted message is
kept in memory and written as an .eml file under the platform's work directory, so tests,
`make demo` and people (any mail client opens .eml) can inspect what would have been sent.
Like a provider, it can refuse recipients (`refuse`), answering SMTP 550.
"""

from __future__ import annotations

import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from local_platform.aws_endpoint import free_port

SMTP_URL_ENV = "MAIL_SMTP_URL"


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

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [message for message, _ in self._messages]

    def received_by(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [message for message, to in self._messages if address in to]
