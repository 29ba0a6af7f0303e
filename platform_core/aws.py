"""boto3 clients, created once per process and per service, from one shared session.

Endpoints are never hard-coded: boto3 itself honours AWS_ENDPOINT_URL (and
AWS_ENDPOINT_URL_<SERVICE_ID>, see `endpoint_variable`), which is how the same code talks to AWS, to the
local moto server or to LocalStack.
"""

from __future__ import annotations

import os
import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
from botocore.utils import CLIENT_NAME_TO_HYPHENIZED_SERVICE_ID_OVERRIDES, SERVICE_NAME_ALIASES

# Standard retry mode: exponential backoff with jitter on throttling and
# transient errors, as AWS recommends for Lambda code.
CLIENT_CONFIG = Config(
    retries={"max_attempts": 8, "mode": "standard"},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=32,
)


def client(service: str) -> Any:
    # Keyed by the endpoints and region too: in Lambda they never change, but a process that
    # starts a second local platform (a new moto port, a new Invoke API) needs new clients.
    endpoint = os.environ.get(endpoint_variable(service)) or os.environ.get("AWS_ENDPOINT_URL")
    return _client(service, endpoint, os.environ.get("AWS_DEFAULT_REGION"))


def endpoint_variable(service: str) -> str:
    """The service's own endpoint variable, as botocore names it: from the service id, not the client
    name (`events` reads AWS_ENDPOINT_URL_EVENTBRIDGE, `pinpoint-sms-voice-v2` reads
    AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2), by botocore's own table of the names that differ."""
    name = SERVICE_NAME_ALIASES.get(service, service)
    service_id = CLIENT_NAME_TO_HYPHENIZED_SERVICE_ID_OVERRIDES.get(name, name)
    return "AWS_ENDPOINT_URL_" + service_id.replace("-", "_").upper()


# One session per process: its loaders cache the endpoint rules and service models,
# so the first client costs ~80 ms of a cold start and each further one ~6 ms (a
# session per client: ~55 ms each). Sessions are not thread-safe, hence the lock;
# the clients they create are.
_session_lock = threading.Lock()


@cache
def _session() -> boto3.session.Session:
    return boto3.session.Session()


@cache
def _client(service: str, endpoint_url: str | None, region: str | None) -> Any:
    with _session_lock:
        return _session().client(service, config=CLIENT_CONFIG)  # type: ignore[call-overload]


def session() -> boto3.session.Session:
    """The process's boto3 session every client above is made from (e.g. to register botocore event hooks)."""
    return _session()


# Error codes of AWS services that a later retry can cure (throttling, a service's own fault).
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "SlowDown",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
        "KmsThrottled",
        "AWS.SimpleQueueService.ServiceUnavailable",
    }
)


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the same call later can succeed.

    Yes for throttling, a 5xx and a lost connection or timeout. No for the rest:
    a missing table or bucket, access denied, a request the service finds invalid,
    missing credentials: the same call fails again until someone changes something.
    """
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code", "") in TRANSIENT_CODES or status >= 500
    # Connection refused or reset, connect and read timeouts (botocore's own connection errors).
    return isinstance(exc, ConnectionError | HTTPClientError)
