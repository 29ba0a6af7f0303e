"""The API's routes in one place: api/openapi.yaml and the services' declarations agree.

API Gateway's REST API (modules/api_definition) and the local gateway (local_platform/routes.py)
are both built from the document; these rules keep it and config/platform.yaml consistent, so
no route exists without a function and no api service without a route.
"""

from __future__ import annotations

from typing import Any

import yaml

from platform_core.config import ROOT, get_config

DOCUMENT: dict[str, Any] = yaml.safe_load((ROOT / "api" / "openapi.yaml").read_text(encoding="utf-8"))
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
PLATFORM_FUNCTIONS = ("ingest",)


def _operations() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_every_route_names_the_platform_or_an_api_service() -> None:
    services = get_config().services
    for route, operation in _operations():
        function = operation.get("x-platform-function")
        assert function, f"{route} names no function (x-platform-function)"
        if function not in PLATFORM_FUNCTIONS:
            assert function in services, f"{route} names {function}, which is not a declared service"
            assert services[function].trigger.type == "api", (
                f"{route} names {function}, whose trigger is not api"
            )


def test_every_api_service_has_a_route() -> None:
    routed = {operation.get("x-platform-function") for _, operation in _operations()}
    for name, service in get_config().services.items():
        if service.trigger.type == "api":
            assert name in routed, f"service {name} has an api trigger but no route in api/openapi.yaml"


def test_every_authorizer_scheme_names_an_authorizer_service_and_back() -> None:
    services = get_config().services
    schemes = DOCUMENT.get("components", {}).get("securitySchemes", {})
    named = {s["x-platform-function"] for s in schemes.values() if "x-platform-function" in s}
    for function in named:
        assert function in services and services[function].trigger.type == "authorizer", function
    for name, service in services.items():
        if service.trigger.type == "authorizer":
            assert name in named, f"service {name} is an authorizer no security scheme names"


def test_every_route_requirement_names_declared_schemes() -> None:
    schemes = DOCUMENT.get("components", {}).get("securitySchemes", {})
    for route, operation in _operations():
        for requirement in operation.get("security", DOCUMENT.get("security", [])):
            for scheme in requirement:
                assert scheme in schemes, f"{route} requires an undeclared security scheme {scheme}"
