"""Access tokens and API keys through the orders authorizer, against the local OIDC issuer over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import jwt
import pytest

from lambdas.orders.authorization import (
    API_KEY,
    CUSTOMER,
    PARTNER,
    Authorizer,
    Caller,
    ClientRegistry,
    Unauthorized,
)
from lambdas.orders.tokens import AccessTokenVerifier, JwksCache, TokenRejected
from local_platform.emulators.oidc import LocalOidcIssuer
from platform_core.config import ApiClient

CLIENTS = {
    "web-app": ApiClient(description="PWA", credential="token", scopes=("read", "write")),
    "partner-acme": ApiClient(description="Acme", credential="api_key", scopes=("read", "write")),
}
KEYS = {"web-app": "key-of-the-web-app-usage-plan", "partner-acme": "acme-secret-api-key-0001"}
METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/POST/v1/orders"


@pytest.fixture
def issuer() -> Iterator[LocalOidcIssuer]:
    server = LocalOidcIssuer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def verifier(
    issuer: LocalOidcIssuer, cooldown: float = 30.0, clock: list[float] | None = None
) -> AccessTokenVerifier:
    ticks = clock if clock is not None else [0.0]
    jwks = JwksCache(issuer.jwks_url, cooldown_seconds=cooldown, clock=lambda: ticks[0])
    return AccessTokenVerifier(issuer.issuer, {"web-app": "web-app"}, "orders", jwks)


def test_a_valid_access_token_names_its_subject_client_and_scopes(issuer: LocalOidcIssuer) -> None:
    token = issuer.access_token("cust-42", "web-app", ["orders/read", "orders/write", "profile/read"])
    access = verifier(issuer).verify(token)
    assert (access.subject, access.client, access.scopes) == (
        "cust-42",
        "web-app",
        frozenset({"read", "write"}),
    )


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("expired", "expired"),
        ("other_issuer", "another issuer"),
        ("id_token", "not an access token"),
        ("unknown_client", "unknown app client"),
        ("alg_none", "algorithm 'none' refused"),
        ("hs256_with_public_key", "algorithm 'HS256' refused"),
        ("garbage", "not a JWT"),
        ("tampered", "invalid: Signature verification failed"),
    ],
)
def test_bad_tokens_are_refused_with_their_reason(issuer: LocalOidcIssuer, case: str, reason: str) -> None:
    good = issuer.access_token("cust-42", "web-app", ["orders/write"])
    tokens = {
        "expired": issuer.access_token("cust-42", "web-app", ["orders/write"], issued_at=time.time() - 7200),
        "other_issuer": issuer.access_token(
            "cust-42", "web-app", ["orders/write"], issuer="https://evil.example"
        ),
        "id_token": issuer.id_token("cust-42", "web-app", "c@example.com"),
        "unknown_client": issuer.access_token("cust-42", "someone-else", ["orders/write"]),
        "alg_none": issuer.unsigned({**jwt.decode(good, options={"verify_signature": False})}),
        "hs256_with_public_key": jwt.encode(
            jwt.decode(good, options={"verify_signature": False}),
            issuer.jwks()["keys"][0]["n"],
            algorithm="HS256",
            headers={"kid": "local-1"},
        ),
        "garbage": "not.a.token",
        "tampered": good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB"),
    }
    with pytest.raises(TokenRejected, match=reason):
        verifier(issuer).verify(tokens[case])


def test_an_unknown_key_id_refetches_the_jwks_once_per_cooldown(issuer: LocalOidcIssuer) -> None:
    clock = [100.0]
    checker = verifier(issuer, cooldown=30.0, clock=clock)
    checker.verify(issuer.access_token("cust-1", "web-app", ["orders/read"]))
    assert issuer.jwks_requests == 1
    unpublished = issuer.access_token("cust-1", "web-app", ["orders/read"], kid="local-2")
    with pytest.raises(TokenRejected, match="unknown key id"):
        checker.verify(unpublished)  # just fetched: within the cooldown, no refetch
    assert issuer.jwks_requests == 1
    clock[0] += 31
    for _ in range(5):  # a flood of unknown key ids: one refetch, then refused from the cache
        with pytest.raises(TokenRejected, match="unknown key id 'local-2'"):
            checker.verify(unpublished)
    assert issuer.jwks_requests == 2
    issuer.rotate()  # the issuer publishes its next key and signs with it
    with pytest.raises(TokenRejected, match="unknown key id"):
        checker.verify(issuer.access_token("cust-1", "web-app", ["orders/read"]))  # still within the cooldown
    clock[0] += 31
    rotated = checker.verify(issuer.access_token("cust-1", "web-app", ["orders/read"]))
    assert rotated.subject == "cust-1" and issuer.jwks_requests == 3


def authorizer(issuer: LocalOidcIssuer) -> Authorizer:
    return Authorizer(verifier(issuer), ClientRegistry(CLIENTS, KEYS))


def test_a_signed_in_customer_gets_the_app_clients_usage_plan(issuer: LocalOidcIssuer) -> None:
    token = issuer.access_token("cust-42", "web-app", ["orders/write"])
    verdict = authorizer(issuer).decide({"Authorization": f"Bearer {token}", "x-api-key": KEYS["web-app"]})
    assert verdict.caller == Caller(CUSTOMER, "web-app", "cust-42", frozenset({"write"}))
    response = verdict.response(METHOD_ARN)
    assert response["usageIdentifierKey"] == KEYS["web-app"]
    assert response["policyDocument"]["Statement"][0]["Resource"] == (
        "arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/*/*"
    )
    assert response["context"] == {
        "kind": "customer",
        "client": "web-app",
        "subject": "cust-42",
        "scopes": "write",
    }
    assert Caller.from_context(response["context"]) == verdict.caller


def test_a_partner_is_known_by_its_key_and_other_keys_pass_through_without_a_client(
    issuer: LocalOidcIssuer,
) -> None:
    partner = authorizer(issuer).decide({"x-api-key": KEYS["partner-acme"]})
    assert partner.caller == Caller(PARTNER, "partner-acme", "partner-acme", frozenset({"read", "write"}))
    assert partner.usage_key == KEYS["partner-acme"]
    team_key = authorizer(issuer).decide({"X-Api-Key": "an-ingest-team-key"})
    assert team_key.caller.kind == API_KEY and team_key.caller.client == "" and not team_key.caller.scopes


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer nope"},
    ],
)
def test_requests_without_acceptable_credentials_are_unauthorized(
    issuer: LocalOidcIssuer, headers: dict[str, str]
) -> None:
    with pytest.raises(Unauthorized) as refused:
        authorizer(issuer).decide(headers)
    assert str(refused.value) == "Unauthorized"  # API Gateway's 401 needs exactly this message


def test_a_token_from_a_client_declared_for_api_keys_is_refused(issuer: LocalOidcIssuer) -> None:
    checker = AccessTokenVerifier(
        issuer.issuer, {"acme-app-id": "partner-acme"}, "orders", JwksCache(issuer.jwks_url)
    )
    token = issuer.access_token("someone", "acme-app-id", ["orders/write"])
    with pytest.raises(Unauthorized):
        Authorizer(checker, ClientRegistry(CLIENTS, KEYS)).decide(
            {"Authorization": f"Bearer {token}", "x-api-key": KEYS["partner-acme"]}
        )


def test_a_client_without_a_key_in_the_secret_is_refused_and_other_keys_still_pass(
    issuer: LocalOidcIssuer,
) -> None:
    registry = ClientRegistry(CLIENTS, {"partner-acme": KEYS["partner-acme"]})
    assert registry.without_key == ["web-app"]
    decide = Authorizer(verifier(issuer), registry).decide
    with pytest.raises(Unauthorized):
        decide(
            {
                "Authorization": f"Bearer {issuer.access_token('cust-1', 'web-app', ['orders/write'])}",
                "x-api-key": "k",
            }
        )
    assert decide({"x-api-key": "an-ingest-team-key"}).caller.kind == API_KEY


def test_a_token_must_come_with_its_apps_key_not_another_clients(issuer: LocalOidcIssuer) -> None:
    token = issuer.access_token("cust-42", "web-app", ["orders/write"])
    for key in (None, KEYS["partner-acme"], "any-other-key"):
        headers = {"Authorization": f"Bearer {token}", **({"x-api-key": key} if key else {})}
        with pytest.raises(Unauthorized):
            authorizer(issuer).decide(headers)


@pytest.mark.integration
def test_the_authorizer_lambda_trusts_its_user_pool_and_reads_the_clients_keys_from_its_secret(
    issuer: LocalOidcIssuer, aws_endpoint_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import uuid

    from lambdas.orders import authorizer_handler
    from platform_core.aws import client
    from platform_core.lambda_context import LocalLambdaContext

    secret = f"test-{uuid.uuid4().hex[:8]}-api-clients"
    keys = {"web-app": "pwa-usage-key", "partner-demo": "demo-partner-key"}
    client("secretsmanager").create_secret(Name=secret, SecretString=json.dumps(keys))
    for name, value in {  # what Terraform gives it from the Cognito user pool it creates
        "PLATFORM_ENV": "dev",
        "POWERTOOLS_SERVICE_NAME": "orders-authorizer",
        "OIDC_ISSUER": issuer.issuer,
        "APP_CLIENTS": json.dumps({"cognito-id-of-the-pwa": "web-app"}),
        "RESOURCE_SERVER": "orders",
        "SECRET_API_CLIENTS": secret,
    }.items():
        monkeypatch.setenv(name, value)
    authorizer_handler.authorizer.reset()
    context = LocalLambdaContext("orders-authorizer", "eu-west-1")
    token = issuer.access_token("cust-7", "cognito-id-of-the-pwa", ["orders/read"])
    try:
        answer = authorizer_handler.lambda_handler(
            {
                "type": "REQUEST",
                "methodArn": METHOD_ARN,
                "headers": {"Authorization": f"Bearer {token}", "x-api-key": "pwa-usage-key"},
            },
            context,
        )
        assert answer["usageIdentifierKey"] == "pwa-usage-key"
        assert answer["context"]["subject"] == "cust-7" and answer["context"]["scopes"] == "read"
        partner = authorizer_handler.lambda_handler(
            {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": {"x-api-key": "demo-partner-key"}},
            context,
        )
        assert partner["context"]["kind"] == "partner"
        with pytest.raises(Unauthorized, match=r"^Unauthorized$"):
            authorizer_handler.lambda_handler(
                {"type": "REQUEST", "methodArn": METHOD_ARN, "headers": {}}, context
            )
    finally:
        authorizer_handler.authorizer.reset()
