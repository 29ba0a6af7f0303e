"""How every Kafka client of the platform connects: the bridge's producer, the topic admin, the consumers.

KAFKA_BOOTSTRAP_SERVERS names the cluster. KAFKA_SECURITY_PROTOCOL is
PLAINTEXT for the local broker or a plain cluster, and SASL_SSL for Amazon
MSK, where the SASL mechanism is OAUTHBEARER with tokens from the AWS MSK IAM
SASL signer (the Lambda's role is the identity; no secrets anywhere).
KAFKA_SSL_CA_LOCATION, when set, is the CA bundle that signs the brokers'
certificates (the local IAM listener's own CA; MSK's are publicly trusted).

A token that cannot be made (no credentials, no region) fails loudly: the
first one is made when the client configuration is built, so the error and its
cause reach the caller at once. Left to librdkafka, the callback's exception is
swallowed and the client gives up after 10 s with "OAuth token not set", the
reason lost; later refreshes that fail are logged with their reason.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from platform_core.settings import required_env

PLAINTEXT = "PLAINTEXT"
SASL_SSL = "SASL_SSL"
# Tansu (the local broker) makes a group join wait half the session timeout;
# 6 s is the Kafka minimum and keeps rebalances short everywhere.
SESSION_TIMEOUT_MS = 6000

logger = logging.getLogger(__name__)


class MskTokenError(RuntimeError):
    """The MSK IAM token could not be made: the client cannot authenticate, so nothing can be produced."""


@dataclass(frozen=True)
class KafkaConnection:
    bootstrap_servers: str
    security_protocol: str = PLAINTEXT
    region: str = ""
    ssl_ca_location: str = ""

    @classmethod
    def from_env(cls) -> KafkaConnection:
        protocol = os.environ.get("KAFKA_SECURITY_PROTOCOL", PLAINTEXT).upper()
        if protocol not in (PLAINTEXT, SASL_SSL):
            raise RuntimeError(f"KAFKA_SECURITY_PROTOCOL must be {PLAINTEXT} or {SASL_SSL}, not {protocol}")
        return cls(
            bootstrap_servers=required_env("KAFKA_BOOTSTRAP_SERVERS"),
            security_protocol=protocol,
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", ""),
            ssl_ca_location=os.environ.get("KAFKA_SSL_CA_LOCATION", ""),
        )

    def client_config(self) -> dict[str, Any]:
        """The confluent-kafka (librdkafka) settings to reach the cluster."""
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": self.security_protocol,
        }
        if self.security_protocol == SASL_SSL:
            self.msk_iam_token()  # raises MskTokenError now, with its cause, rather than a 10 s stall later
            config["sasl.mechanism"] = "OAUTHBEARER"
            config["oauth_cb"] = self._refresh_token
            if self.ssl_ca_location:
                config["ssl.ca.location"] = self.ssl_ca_location
        return config

    def msk_iam_token(self) -> tuple[str, float]:
        """A signed MSK IAM token and its expiry (epoch seconds), or MskTokenError saying why not."""
        if not self.region:
            raise MskTokenError("cannot sign an MSK IAM token without a region (AWS_REGION is not set)")
        # Imported here: only MSK deployments need the signer (and its botocore session).
        import botocore.session
        from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

        if botocore.session.get_session().get_credentials() is None:  # the signer would fail on None
            raise MskTokenError(
                "cannot sign an MSK IAM token: no AWS credentials (role or environment) found"
            )
        try:
            token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(self.region)
        except Exception as exc:  # the signer raises whatever botocore's credential chain raises
            raise MskTokenError(f"cannot make the MSK IAM token ({type(exc).__name__}: {exc})") from exc
        return token, expiry_ms / 1000

    def _refresh_token(self, _oauth_config: str | None) -> tuple[str, float]:
        try:
            return self.msk_iam_token()
        except MskTokenError:
            # librdkafka swallows the exception (its clients then fail with "OAuth token not set"):
            # the reason goes to the log here.
            logger.exception("MSK IAM token refresh failed")
            raise
