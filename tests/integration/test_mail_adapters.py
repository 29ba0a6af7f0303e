"""The mail adapters of platform_core.mail against real servers: the local mail sink (aiosmtpd), an
SMTP server that drops the line during DATA, the moto server's SES v2, and a server that never answers."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import uuid4

import boto3
import pytest
from botocore.config import Config

from local_platform.emulators.mail_sink import MailSink
from platform_core.mail import (
    IDEMPOTENCY_HEADER,
    Attachment,
    MailOutcomeUnknown,
    MailRefused,
    MailUnavailable,
    OutgoingMail,
    SesMailer,
    SmtpMailer,
    message_id,
)

pytestmark = pytest.mark.integration


def mail(to: str = "camille@example.com", key: str = "order-1/confirmation") -> OutgoingMail:
    return OutgoingMail(
        sender="commandes@stockoss.example.com",
        to=(to,),
        subject="Votre commande ORD-1 est confirmée",
        text="Bonjour Camille,\nvotre commande est confirmée.",
        html="<p>Bonjour Camille,</p><p>votre commande est confirmée.</p>",
        idempotency_key=key,
        attachments=(Attachment("recu.pdf", "application/pdf", b"%PDF-1.7 test"),),
        headers={"List-Unsubscribe": "<https://app.stockoss.example.com/preferences>"},
        tags={"channel": "email"},
    )


@contextmanager
def free_closed_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield probe.getsockname()[1]


class _DropDuringData(socketserver.StreamRequestHandler):
    """Speaks SMTP until the message is sent, then hangs up without the final reply."""

    def handle(self) -> None:
        self.wfile.write(b"220 drop ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 drop\r\n")
            elif verb == b"DATA":
                self.wfile.write(b"354 go ahead\r\n")
                while (body := self.rfile.readline()) and body != b".\r\n":
                    pass
                return  # the message arrived; the answer never leaves
            else:
                self.wfile.write(b"250 OK\r\n")


@contextmanager
def tcp_server(handler: type[socketserver.BaseRequestHandler]) -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


# -- SMTP -----------------------------------------------------------------------------------------


def test_smtp_delivers_the_message_with_its_key_parts_and_headers() -> None:
    with MailSink() as sink:
        sent_id = SmtpMailer(sink.url).send(mail())
        [message] = sink.received_by("camille@example.com")
    assert sent_id == message["Message-ID"] == message_id(mail())
    assert message[IDEMPOTENCY_HEADER] == "order-1/confirmation"
    assert message["List-Unsubscribe"] == "<https://app.stockoss.example.com/preferences>"
    assert message["Subject"] == "Votre commande ORD-1 est confirmée"
    [attachment] = [part for part in message.walk() if part.get_filename()]
    assert attachment.get_payload(decode=True) == b"%PDF-1.7 test"
    kinds = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html", "application/pdf"} <= kinds


def test_the_same_key_gives_the_same_message_id_and_another_key_another() -> None:
    assert message_id(mail()) == message_id(mail())
    assert message_id(mail()) != message_id(mail(key="order-1/shipped"))


def test_a_recipient_the_server_refuses_is_a_refusal_and_nothing_is_kept() -> None:
    with MailSink() as sink:
        sink.refused.add("nobody@example.com")
        with pytest.raises(MailRefused, match=r"nobody@example\.com"):
            SmtpMailer(sink.url).send(mail(to="nobody@example.com"))
        assert sink.messages == []


def test_an_unreachable_server_is_unavailable_not_unknown() -> None:
    with free_closed_port() as port:
        pass
    with pytest.raises(MailUnavailable) as raised:
        SmtpMailer(f"smtp://127.0.0.1:{port}", timeout_seconds=2).send(mail())
    assert not isinstance(raised.value, MailOutcomeUnknown)


def test_a_line_lost_after_the_message_left_is_an_unknown_outcome() -> None:
    with tcp_server(_DropDuringData) as port, pytest.raises(MailOutcomeUnknown):
        SmtpMailer(f"smtp://127.0.0.1:{port}", timeout_seconds=5).send(mail())


def test_an_smtp_url_is_checked() -> None:
    with pytest.raises(ValueError, match="smtp://"):
        SmtpMailer("http://127.0.0.1:25")


# -- SES v2 -----------------------------------------------------------------------------------------


@pytest.fixture
def sesv2(aws_endpoint_url: str):
    return boto3.client("sesv2", endpoint_url=aws_endpoint_url)


def test_ses_sends_from_a_verified_identity(sesv2) -> None:
    domain = f"{uuid4().hex[:8]}.example.com"
    sesv2.create_email_identity(EmailIdentity=domain)
    sent = mail()
    message = OutgoingMail(**{**sent.__dict__, "sender": f"commandes@{domain}"})
    assert SesMailer(sesv2).send(message)


def test_ses_refuses_an_unverified_sender(sesv2) -> None:
    unverified = OutgoingMail(**{**mail().__dict__, "sender": f"x@{uuid4().hex[:8]}.example.org"})
    with pytest.raises(MailRefused, match="MessageRejected"):
        SesMailer(sesv2).send(unverified)


def test_ses_unreachable_is_unavailable() -> None:
    with free_closed_port() as port:
        pass
    ses = boto3.client(
        "sesv2",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="eu-west-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(MailUnavailable) as raised:
        SesMailer(ses).send(mail())
    assert not isinstance(raised.value, MailOutcomeUnknown)


class _NeverAnswers(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.rfile.readline()
        threading.Event().wait(5)


def test_ses_that_never_answers_is_an_unknown_outcome() -> None:
    with tcp_server(_NeverAnswers) as port:
        ses = boto3.client(
            "sesv2",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="eu-west-1",
            config=Config(retries={"max_attempts": 1}, read_timeout=1),
        )
        with pytest.raises(MailOutcomeUnknown):
            SesMailer(ses).send(mail())
