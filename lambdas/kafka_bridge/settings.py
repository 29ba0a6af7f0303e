"""What the Kafka bridge function reads from its environment (Terraform and the local runtime set it)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from lambdas.kafka_bridge.producer import DEFAULT_DELIVERY_TIMEOUT_MS
from platform_core.kafka import KafkaConnection
from platform_core.settings import FunctionSettings


class KafkaBridgeSettings(FunctionSettings):
    kafka_bootstrap_servers: str  # KAFKA_BOOTSTRAP_SERVERS
    # PLAINTEXT for the local broker or a plain cluster, SASL_SSL (IAM) for Amazon MSK.
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    # How long the producer may try to deliver a message before the bridge reports it failed.
    kafka_delivery_timeout_ms: int = Field(default=DEFAULT_DELIVERY_TIMEOUT_MS, ge=1000)
    aws_region: str = ""  # AWS_REGION, set by Lambda: the MSK IAM token is signed for it
    # The CA of the brokers' certificates when it is not a public one (the local IAM listener's).
    kafka_ssl_ca_location: str = ""

    @field_validator("kafka_security_protocol", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    def kafka(self) -> KafkaConnection:
        return KafkaConnection(
            self.kafka_bootstrap_servers,
            self.kafka_security_protocol,
            self.aws_region,
            self.kafka_ssl_ca_location,
        )
