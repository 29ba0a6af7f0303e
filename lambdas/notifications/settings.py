"""What the notification service's functions read from their environment (Terraform and the local runtime set it)."""

from __future__ import annotations

from platform_core.settings import FunctionSettings, ProducerSettings


class SenderSettings(ProducerSettings):
    """notification-sender: the team's queue in, every channel out."""

    table_deliveries: str  # TABLE_DELIVERIES: notifications as received, one record per delivery
    table_recipients: str  # TABLE_RECIPIENTS: preferences, addresses, push subscriptions
    table_suppressions: str  # TABLE_SUPPRESSIONS: addresses never written to again
    table_endpoints: str  # TABLE_ENDPOINTS: partners' webhook endpoint state (disabled, breaker)
    table_limits: str  # TABLE_LIMITS: rate-limit buckets
    table_inbox: str  # TABLE_INBOX: the in-app notifications
    secret_webhooks: str  # SECRET_WEBHOOKS: partners' endpoints and their whsec_ signing secrets
    secret_push: str  # SECRET_PUSH: the VAPID key pair and contact
    mail_from: str  # MAIL_FROM: the declared sender address
    mail_configuration_set: str | None = None  # MAIL_CONFIGURATION_SET: SES's, in AWS
    # MAIL_SMTP_URL: smtp://host:port of an SMTP server (the local mail sink); SES v2 when unset.
    mail_smtp_url: str | None = None
    sms_origination_identity: str | None = None  # SMS_ORIGINATION_IDENTITY: phone number, sender id or pool
    sms_configuration_set: str | None = None  # SMS_CONFIGURATION_SET: where the SMS events go
    # EGRESS_ALLOW: host:port pairs callable although not public (the local platform's receivers only).
    egress_allow: str = ""

    @property
    def egress_allowed(self) -> frozenset[str]:
        return frozenset(p.strip().lower() for p in self.egress_allow.split(",") if p.strip())


class InboxApiSettings(FunctionSettings):
    """notifications-api: a signed-in customer's inbox, preferences and push subscriptions."""

    table_inbox: str
    table_recipients: str


class FeedbackSettings(ProducerSettings):
    """notification-feedback: the providers' delivery reports (SES events, SMS events)."""

    table_deliveries: str
    table_suppressions: str
