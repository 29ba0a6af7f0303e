"""How every Kafka client of the platform connects: the bridge's producer, the topic admin, the consumers.

KAFKA_BOOTSTRAP_SERVERS names the cluster. KAFKA_SECURITY_PROTOCOL is
PLAINTEXT for the local broker or a plain cluster, and SASL_SSL for Amazon
MSK, where the SASL mechanism is OAUTHBEARER with tokens from the AWS MSK IAM
SASL signer (the Lambda's role is the identity; no secrets anywhere).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from platform_core.settings import required_env

PLAINTEXT = "PLAINTEXT"
SASL_SSL = "SASL_SSL"
# Tansu (the local broker) makes a group join wait half the session timeout;
# 6 s is the Kafka minimum and keeps rebalances short everywhere.
SESSION_TIMEOUT_MS = 6000


@dataclass(frozen=True)
class KafkaConnection:
    bootstrap_servers: str
    security_protocol: str = PLAINTEXT
    region: str = ""

    @classmethod
    def from_env(cls) -> KafkaConnection:
        protocol = os.environ.get("KAFKA_SECURITY_PROTOCOL", PLAINTEXT).upper()
        if protocol not in (PLAINTEXT, SASL_SSL):
            raise RuntimeError(f"KAFKA_SECURITY_PROTOCOL must be {PLAINTEXT} or {SASL_SSL}, not {protocol}")
        return cls(
            bootstrap_servers=required_env("KAFKA_BOOTSTRAP_SERVERS"),
            security_protocol=protocol,
            region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION", ""),
        )

    def client_config(self) -> dict[str, Any]:
        """The confluent-kafka (librdkafka) settings to reach the cluster."""
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": self.security_protocol,
        }
        if self.security_protocol == SASL_SSL:
            config["sasl.mechanism"] = "OAUTHBEARER"
            config["oauth_cb"] = self._msk_iam_token
        return config

    def _msk_iam_token(self, _oauth_config: str | None) -> tuple[str, float]:
        # Imported here: only MSK deployments need the signer (and its botocore session).
        from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

        token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(self.region)
        return token, expiry_ms / 1000
