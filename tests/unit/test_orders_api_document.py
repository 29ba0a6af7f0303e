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
    schemes = DOCUMENT["components"]["securitySchemes"]
    for name in ("ordersAuthorizer", "teamKey"):
        assert config.services[schemes[name]["x-platform-function"]].trigger.type == "authorizer"


def test_usage_plans_meter_the_key_the_authorizer_returns_on_every_route() -> None:
    assert DOCUMENT["x-amazon-apigateway-api-key-source"] == "AUTHORIZER"
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            [requirement] = operation.get("security", DOCUMENT["security"])
            assert "apiKey" in requirement, (method, path)
            assert {"teamKey", "ordersAuthorizer"} & set(requirement), (method, path)
