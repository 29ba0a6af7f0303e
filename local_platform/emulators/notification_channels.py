"""A platform component: where the notification service's SMS, pushes and webhooks go locally.

It starts the SMS capture (the End User Messaging SMS API), the Web Push service and a
webhook receiver standing for the partners, then plays the operators' part for each declared
service that reads them, by the secret's short name:

    push      {"private_key", "public_key", "subject"}        a VAPID key pair made now
    webhooks  {partner: {"url", "secrets": [{"secret", "expires_at"}]}}
              one endpoint on the receiver per partner (an API client with an API key)

and gives those services, before their first invocation, what only this deployment knows:
AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2 (the SMS capture) and EGRESS_ALLOW (the receiver's
and the push service's host:port, the only non-public addresses they may call). The SMS
capture's events go to those services' team queue, as the configuration set's SNS topic
(raw message delivery to the queue) carries them in AWS. Tests and
the demo reach the servers through `platform.component("notification-channels")`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from lambdas.notifications.secrets import new_signing_secret, new_vapid_keys
from local_platform.emulators.push_service import PushService
from local_platform.emulators.sms_capture import SmsCapture
from local_platform.emulators.webhook_receiver import WebhookReceiver
from local_platform.provision import put_secret, queue_url
from platform_core.aws import client, endpoint_variable

if TYPE_CHECKING:
    from local_platform.runtime import LocalPlatform

PUSH, WEBHOOKS = "push", "webhooks"
SMS_ENDPOINT_ENV = endpoint_variable("pinpoint-sms-voice-v2")
EGRESS_ALLOW_ENV = "EGRESS_ALLOW"
VAPID_SUBJECT = "mailto:notifications@stockoss.example.com"


def vapid_keys() -> dict[str, str]:
    return new_vapid_keys(VAPID_SUBJECT)


def _queue_publisher(queue: str) -> Any:
    sqs = client("sqs")
    url = queue_url(queue)

    def publish(event: dict[str, Any]) -> None:
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event))

    return publish


def signing_secret() -> str:
    return new_signing_secret()


class NotificationChannels:
    name = "notification-channels"

    def __init__(self) -> None:
        self.sms = SmsCapture()
        self.push = PushService()
        self.webhooks = WebhookReceiver()
        self.partner_secrets: dict[str, str] = {}
        self.vapid: dict[str, str] = {}
        self._started = False

    def start(self, platform: LocalPlatform) -> None:
        for server in (self.sms, self.push, self.webhooks):
            server.start()
        self._started = True
        self.vapid = vapid_keys()
        partners = sorted(
            name
            for service in platform.config.services.values()
            if service.identity is not None
            for name, api_client in service.identity.clients.items()
            if api_client.credential == "api_key"
        )
        directory = {}
        for partner in partners:
            self.partner_secrets[partner] = signing_secret()
            url = self.webhooks.endpoint(partner, [self.partner_secrets[partner]])
            directory[partner] = {
                "url": url,
                "secrets": [{"secret": self.partner_secrets[partner], "expires_at": None}],
            }
        values = {PUSH: self.vapid, WEBHOOKS: directory}
        allow = ",".join(
            f"{urlsplit(s.url).hostname}:{urlsplit(s.url).port}" for s in (self.push, self.webhooks)
        )
        for name in platform.config.services:
            declared = platform.resources.service_secrets(name)
            mine = {short: secret for short, secret in declared.items() if short in values}
            for short, secret in mine.items():
                put_secret(secret, json.dumps(values[short]))
            if mine:
                platform.extend_function_environment(
                    name, {SMS_ENDPOINT_ENV: self.sms.url, EGRESS_ALLOW_ENV: allow}
                )
                team_queue = platform.resources.team_queue(platform.config.services[name].team)
                self.sms.listeners.append(_queue_publisher(team_queue))
        platform.publish(
            "notification_channels",
            {"sms": self.sms.url, "push": self.push.url, "webhooks": self.webhooks.url, "partners": partners},
        )

    def stop(self) -> None:
        if self._started:
            for server in (self.webhooks, self.push, self.sms):
                server.stop()
            self._started = False

    def status(self) -> dict[str, Any]:
        return {
            "sms": {"url": self.sms.url, "texts": len(self.sms.messages)},
            "push": {"url": self.push.url, "requests": self.push.requests},
            "webhooks": {
                "url": self.webhooks.url,
                "verified": sum(self.webhooks.deliveries.values()),
                "rejected": len(self.webhooks.rejected),
            },
        }
