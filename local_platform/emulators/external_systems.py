"""A platform component: the external systems the declared services talk to, and their secrets' values.

In AWS, operators (or Terraform, for what it creates) put the ERP's URL and
API key, the warehouse's token and the user pool's coordinates into the
services' declared secrets. Locally this component plays that part: it starts
the contract emulators (Odoo, OpenWMS, the OIDC issuer standing in for the
user pool) and writes each declared secret a service reads, by its short
name, and what an authorizer learns of its user pool:

    erp          {"url", "transport", "database", "login", "api_key"}   the Odoo emulator (JSON-2)
    wms          {"url", "token", "location_group"}                   the OpenWMS emulator
    an authorizer's OIDC_ISSUER, APP_CLIENTS and RESOURCE_SERVER       the local issuer (the runtime writes
                                                                       its api-clients secret: the keys)
    OPENSEARCH_ENDPOINT of a function with SEARCH_BACKEND=opensearch  the OpenSearch emulator (started only
                                                                       when a service declares `search`)

It starts after the gateway and before the triggers, so no message reaches a service
before its secrets have values. Tests and the demo reach the emulators
through `platform.component("external-systems")`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from local_platform.emulators.odoo import OdooEmulator
from local_platform.emulators.oidc import LocalOidcIssuer
from local_platform.emulators.opensearch import OpenSearchEmulator
from local_platform.emulators.openwms import LOCATION_GROUP, OpenWmsEmulator
from local_platform.provision import put_secret

if TYPE_CHECKING:
    from local_platform.runtime import LocalPlatform

ERP, WMS = "erp", "wms"


class ExternalSystems:
    name = "external-systems"

    def __init__(self, *, transport: str = "json2", with_wms: bool = True):
        """transport: how the services call the ERP (json2, or jsonrpc); with_wms: give the `wms`
        secret a value (without one the saga makes no warehouse check)."""
        self.transport = transport
        self.with_wms = with_wms
        self.odoo = OdooEmulator()
        self.wms = OpenWmsEmulator()
        self.issuer = LocalOidcIssuer()
        # As a domain whose access policy names the functions' roles: unsigned requests are refused.
        self.opensearch = OpenSearchEmulator(require_signature=True)
        self._searching = False
        self._started = False

    def start(self, platform: LocalPlatform) -> None:
        for server in (self.odoo, self.wms, self.issuer):
            server.start()
        self._started = True
        values: dict[str, dict[str, str]] = {ERP: self.erp_secret()}
        if self.with_wms:
            values[WMS] = {"url": self.wms.url, "token": self.wms.token, "location_group": LOCATION_GROUP}
        for name, service in platform.config.services.items():
            for short, secret in platform.resources.service_secrets(name).items():
                if short in values:
                    put_secret(secret, json.dumps(values[short]))
            if service.identity is not None:
                # What Terraform gives an authorizer of its Cognito user pool; here, the local issuer's,
                # whose app client ids are the declared names.
                tokens = [
                    c for c, declared in service.identity.clients.items() if declared.credential == "token"
                ]
                platform.extend_function_environment(
                    name,
                    {
                        "OIDC_ISSUER": self.issuer.issuer,
                        "APP_CLIENTS": json.dumps({client: client for client in tokens}),
                        "RESOURCE_SERVER": service.identity.resource_server,
                    },
                )
        self._start_search(platform)
        platform.publish(
            "external_systems",
            {"odoo": self.odoo.url, "openwms": self.wms.url, "oidc_issuer": self.issuer.issuer},
        )

    def _start_search(self, platform: LocalPlatform) -> None:
        """What Terraform gives the functions of a declared search domain: its endpoint (here, the emulator's)."""
        services = platform.config.services
        searching = [
            name
            for name, service in services.items()
            if any(services[owner].search is not None for owner in (name, *service.uses))
        ]
        if not searching:
            return
        self.opensearch.start()
        self._searching = True
        for name in searching:
            platform.extend_function_environment(name, {"OPENSEARCH_ENDPOINT": self.opensearch.url})

    def erp_secret(self) -> dict[str, str]:
        return {
            "url": self.odoo.url,
            "transport": self.transport,
            "database": self.odoo.database,
            "login": self.odoo.login,
            "api_key": self.odoo.api_key,
        }

    def stop(self) -> None:
        if self._started:
            for server in (self.issuer, self.wms, self.odoo):
                server.stop()
            if self._searching:
                self.opensearch.stop()
                self._searching = False
            self._started = False

    def status(self) -> dict[str, Any]:
        return {
            "odoo": {"url": self.odoo.url, "requests": self.odoo.requests, "outage": self.odoo.faults.outage},
            "openwms": {"url": self.wms.url, "requests": self.wms.requests},
            "oidc_issuer": self.issuer.status(),
            **(
                {"opensearch": {"url": self.opensearch.url, "requests": self.opensearch.requests}}
                if self._searching
                else {}
            ),
        }
