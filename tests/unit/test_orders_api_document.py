"""The orders API in api/openapi.yaml: its request schema is the order_created v2 payload's, its routes
name the orders services, and the scopes it documents are the ones the function checks."""

from __future__ import annotations

import json

import yaml

from lambdas.orders.model import request_schema
from lambdas.orders.placing import READ, WRITE
from local_platform.gateway import OPENAPI_PATH
from platform_core.config import get_config
from platform_core.registry import get_registry

DOCUMENT = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
SCHEMAS = OPENAPI_PATH.parent / "schemas"


def test_the_committed_request_schema_is_the_payload_schema_without_server_fields() -> None:
    committed = json.loads((SCHEMAS / "place-order-request.json").read_text(encoding="utf-8"))
    assert committed == request_schema(get_registry()), "run `python -m lambdas.orders.model` and commit"


def test_the_orders_routes_name_declared_services_and_their_scopes() -> None:
    config = get_config()
    resource_server = config.services["orders-authorizer"].identity.resource_server  # type: ignore[union-attr]
    post = DOCUMENT["paths"]["/v1/orders"]["post"]
    get = DOCUMENT["paths"]["/v1/orders/{order_id}"]["get"]
    for operation, scope in ((post, WRITE), (get, READ)):
        assert config.services[operation["x-platform-function"]].trigger.type == "api"
        assert operation["security"] == [{"apiKey": [], "ordersAuthorizer": [f"{resource_server}/{scope}"]}]
    scheme = DOCUMENT["components"]["securitySchemes"]["ordersAuthorizer"]
    assert config.services[scheme["x-platform-function"]].trigger.type == "authorizer"
    # Not cached: either header may identify the caller (a token, or a partner's key alone).
    assert scheme["x-amazon-apigateway-authorizer"] == {"type": "request", "authorizerResultTtlInSeconds": 0}


def test_every_route_is_metered_by_an_api_key_and_the_platforms_own_need_no_authorizer() -> None:
    assert DOCUMENT.get("x-amazon-apigateway-api-key-source", "HEADER") == "HEADER"
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            [requirement] = operation.get("security", DOCUMENT["security"])
            assert "apiKey" in requirement, (method, path)
            if operation["x-platform-function"] == "ingest":
                assert set(requirement) == {"apiKey"}, (method, path)
