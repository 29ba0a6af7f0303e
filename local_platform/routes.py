"""The REST API as api/openapi.yaml defines it: routes, the function behind each, and their security.

The same document is the REST API's body in Terraform, so a route exists in
both or in neither. Each operation names the function it invokes with
`x-platform-function` (`ingest`, or a declared service whose trigger is
`api`). Its security requirement (the operation's, else the document's)
says whether an API key is required (`apiKey`) and which REQUEST Lambda
authorizer guards it: a security scheme carrying `x-amazon-apigateway-authorizer`
(`identitySource`, `authorizerResultTtlInSeconds`) and the `x-platform-function`
of the authorizer service (any scheme naming a function is an authorizer; no
identity source means no caching). `x-amazon-apigateway-api-key-source`
(HEADER or AUTHORIZER) says where an `apiKey` route's usage-plan key comes
from; a route behind an authorizer that answers a `usageIdentifierKey` is
metered on that key's plan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from platform_core.config import ROOT

OPENAPI_PATH = ROOT / "api" / "openapi.yaml"
FUNCTION_EXTENSION = "x-platform-function"
AUTHORIZER_EXTENSION = "x-amazon-apigateway-authorizer"
KEY_SOURCE_EXTENSION = "x-amazon-apigateway-api-key-source"
METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
# API Gateway's default authorizer result TTL.
DEFAULT_AUTHORIZER_TTL_SECONDS = 300


@dataclass(frozen=True)
class AuthorizerScheme:
    """A REQUEST Lambda authorizer, as its security scheme declares it."""

    name: str  # the security scheme's name
    function: str  # the authorizer service (x-platform-function)
    identity_sources: tuple[tuple[str, str], ...]  # ("header" | "querystring", name)
    ttl_seconds: int


@dataclass(frozen=True)
class Route:
    method: str
    resource: str  # API Gateway resource path, e.g. /v1/schemas/{event_type}
    pattern: re.Pattern[str]
    function: str = "ingest"  # x-platform-function
    api_key_required: bool = True
    authorizer: AuthorizerScheme | None = None


@dataclass(frozen=True)
class ApiDefinition:
    routes: tuple[Route, ...]
    api_key_source: Literal["HEADER", "AUTHORIZER"]

    @property
    def authorizers(self) -> dict[str, AuthorizerScheme]:
        return {r.authorizer.name: r.authorizer for r in self.routes if r.authorizer is not None}


def load_api(path: Path = OPENAPI_PATH) -> ApiDefinition:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    schemes = document.get("components", {}).get("securitySchemes", {})
    routes = []
    for resource, operations in document["paths"].items():
        regex = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(resource))
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            where = f"{method.upper()} {resource}"
            function = operation.get(FUNCTION_EXTENSION)
            if not function:
                raise ValueError(f"{path.name}: {where} names no function ({FUNCTION_EXTENSION})")
            requirement = _requirement(operation.get("security", document.get("security", [])), where)
            api_key_required, authorizer = False, None
            for scheme_name in requirement:
                scheme = schemes.get(scheme_name)
                if scheme is None:
                    raise ValueError(
                        f"{path.name}: {where} uses an undeclared security scheme {scheme_name!r}"
                    )
                if FUNCTION_EXTENSION in scheme:
                    authorizer = _authorizer(scheme_name, scheme)
                elif scheme.get("type") == "apiKey" and scheme.get("in") == "header":
                    api_key_required = True
            routes.append(
                Route(
                    method.upper(), resource, re.compile(f"^{regex}$"), function, api_key_required, authorizer
                )
            )
    source = str(document.get(KEY_SOURCE_EXTENSION, "HEADER")).upper()
    if source not in ("HEADER", "AUTHORIZER"):
        raise ValueError(f"{path.name}: {KEY_SOURCE_EXTENSION} must be HEADER or AUTHORIZER, not {source}")
    return ApiDefinition(tuple(routes), "AUTHORIZER" if source == "AUTHORIZER" else "HEADER")


def routes_from_openapi(path: Path = OPENAPI_PATH) -> list[Route]:
    """The API's resources and methods, read from the OpenAPI document (the one definition of the API)."""
    return list(load_api(path).routes)


def _requirement(security: list[dict[str, Any]], where: str) -> dict[str, Any]:
    # API Gateway guards a method with one requirement (an API key and/or one authorizer), not alternatives.
    if len(security) > 1:
        raise ValueError(
            f"{where}: API Gateway takes one security requirement, not {len(security)} alternatives"
        )
    return security[0] if security else {}


def _authorizer(name: str, scheme: dict[str, Any]) -> AuthorizerScheme:
    """A REQUEST authorizer: the scheme's function, its identity sources and TTL (API Gateway's rules:
    without identity sources nothing can be cached, so the authorizer is called for every request)."""
    settings = scheme.get(AUTHORIZER_EXTENSION, {})
    if str(settings.get("type", "request")).lower() != "request":
        raise ValueError(f"security scheme {name}: only REQUEST authorizers are supported")
    sources = []
    for source in filter(None, (s.strip() for s in str(settings.get("identitySource", "")).split(","))):
        match = re.fullmatch(r"method\.request\.(header|querystring)\.(.+)", source)
        if match is None:
            raise ValueError(f"security scheme {name}: identity source {source!r} is not supported")
        sources.append((match[1], match[2]))
    default_ttl = DEFAULT_AUTHORIZER_TTL_SECONDS if sources else 0
    ttl = int(settings.get("authorizerResultTtlInSeconds", default_ttl))
    if ttl and not sources:
        raise ValueError(f"security scheme {name}: a cached authorizer result needs an identitySource")
    return AuthorizerScheme(name, str(scheme[FUNCTION_EXTENSION]), tuple(sources), ttl)
