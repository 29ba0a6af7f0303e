"""What each of the orders team's functions reads from its environment (one settings model per function),
and the secrets they read at cold start.

Terraform and the local runtime set these variables from the services'
declarations in config/platform.yaml: TABLE_<X> for the tables a service owns
or uses, SECRET_<X> for its secrets, PLATFORM_API_URL and
PLATFORM_API_KEY_SECRET for those that emit, plus their declared environment.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from botocore.exceptions import ClientError

from platform_core.aws import client
from platform_core.settings import FunctionSettings, ProducerSettings

SECRET_TTL_SECONDS = 300.0  # a rotated secret is picked up within five minutes


class ApiSettings(ProducerSettings):
    table_orders: str  # TABLE_ORDERS (the saga's table, used by the API)


class SagaSettings(ProducerSettings):
    table_orders: str  # TABLE_ORDERS
    table_breakers: str  # TABLE_BREAKERS: the circuit breakers every instance shares
    secret_erp: str  # SECRET_ERP: {"url", "transport": "json2"|"jsonrpc", "database", "login", "api_key"}
    secret_wms: str = ""  # SECRET_WMS: {"url", "token", "location_group"}; no value: no WMS check
    erp_timeout_seconds: float = 10.0  # ERP_TIMEOUT_SECONDS: read timeout of one ERP call
    erp_attempts: int = 3  # ERP_ATTEMPTS: tries of one saga step while the ERP answers with server errors
    breaker_failures: int = 5  # BREAKER_FAILURES: failures within BREAKER_WINDOW_SECONDS that open a breaker
    breaker_window_seconds: float = 30.0  # BREAKER_WINDOW_SECONDS
    breaker_open_seconds: float = (
        20.0  # BREAKER_OPEN_SECONDS: the first open period (doubles while probes fail)
    )
    defer_seconds: float = 30.0  # DEFER_SECONDS: how long an order waits when its dependency failed
    seller_entity: str  # SELLER_ENTITY: the legal entity that invoices (a key of config/billing.yaml)


class AuthorizerSettings(FunctionSettings):
    # Set by Terraform from the Cognito user pool it creates (locally, from the local OIDC issuer).
    oidc_issuer: str  # OIDC_ISSUER: https://cognito-idp.<region>.amazonaws.com/<pool id>
    oidc_jwks_url: str = (
        ""  # OIDC_JWKS_URL: by default <issuer>/.well-known/jwks.json, where Cognito publishes it
    )
    app_clients: str  # APP_CLIENTS: {"<user pool app client id>": "<client name in the declaration>"}
    resource_server: str  # RESOURCE_SERVER: scopes are <resource_server>/<scope>
    secret_api_clients: str  # SECRET_API_CLIENTS: {"<client name>": "<its usage-plan API key>"}
    jwks_refetch_cooldown_seconds: float = 30.0  # JWKS_REFETCH_COOLDOWN_SECONDS

    @property
    def jwks_url(self) -> str:
        return self.oidc_jwks_url or self.oidc_issuer.rstrip("/") + "/.well-known/jwks.json"

    def app_client_names(self) -> dict[str, str]:
        names = json.loads(self.app_clients)
        if not isinstance(names, dict):
            raise ValueError("APP_CLIENTS must be a JSON object {app client id: client name}")
        return {str(k): str(v) for k, v in names.items()}


class SecretReader:
    """JSON secrets from Secrets Manager, cached per process for a while (rotation is picked up)."""

    def __init__(self, secretsmanager: Any = None, ttl_seconds: float = SECRET_TTL_SECONDS):
        self._client = secretsmanager
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()

    def json(self, name: str, *, fresh: bool = False) -> dict[str, Any] | None:
        """The secret's JSON value; None when it has no value yet (declared, not set)."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(name)
            if cached and not fresh and now - cached[0] < self._ttl:
                return cached[1]
        secrets = self._client or client("secretsmanager")
        try:
            text = secrets.get_secret_value(SecretId=name)["SecretString"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            value = None
        else:
            value = json.loads(text)
            if not isinstance(value, dict):
                raise ValueError(f"secret {name} must hold a JSON object")
        with self._lock:
            self._cache[name] = (now, value)
        return value
