"""The REQUEST Lambda authorizer in front of the orders API (and any route that names it in api/openapi.yaml).

API Gateway calls it with the request's headers and the method ARN; it
answers with a policy, the caller in `context` and the caller's usage-plan
key in `usageIdentifierKey` (lambdas/orders/authorization.py), or raises
"Unauthorized" (401). The same code runs behind the local gateway.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.orders.authorization import Authorizer, ClientRegistry, Unauthorized
from lambdas.orders.settings import AuthorizerSettings, SecretReader
from lambdas.orders.tokens import AccessTokenVerifier, JwksCache
from platform_core.config import get_config
from platform_core.dependencies import Provider
from platform_core.observability import MetricUnit, logger, metrics


@Provider
def authorizer() -> Authorizer:
    """Built once per execution environment (the cold start)."""
    settings = AuthorizerSettings()  # type: ignore[call-arg]  # read from the environment
    identity = get_config().services[settings.powertools_service_name].identity
    if identity is None:
        raise RuntimeError(f"service {settings.powertools_service_name} declares no identity")
    keys = SecretReader().json(settings.secret_api_clients) or {}
    clients = ClientRegistry(identity.clients, {str(k): str(v) for k, v in keys.items()})
    if clients.without_key:
        logger.warning("clients without a usage-plan key are refused", extra={"clients": clients.without_key})
    jwks = JwksCache(settings.jwks_url, cooldown_seconds=settings.jwks_refetch_cooldown_seconds)
    verifier = AccessTokenVerifier(
        settings.oidc_issuer, settings.app_client_names(), settings.resource_server, jwks
    )
    return Authorizer(verifier, clients)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        verdict = authorizer().decide(event.get("headers") or {})
    except Unauthorized as refused:
        metrics.add_metric(name="Unauthorized", unit=MetricUnit.Count, value=1)
        logger.info("request refused", extra={"reason": refused.reason, "method_arn": event.get("methodArn")})
        raise
    metrics.add_metric(
        name=f"Authorized{verdict.caller.kind.title().replace('_', '')}", unit=MetricUnit.Count, value=1
    )
    return verdict.response(str(event["methodArn"]))
