"""The warehouse port over OpenWMS.org's published inventory API (what exists, and what does not).

What OpenWMS publishes and this adapter uses (the WMS Inventory service's REST
API, whose Java client interfaces are `ProductApi` and `PackagingUnitApi`):

- `GET /v1/products?sku=<sku>`: the product master (`ProductVO`: `pKey`,
  `sku`, `label`, `baseUnit`), 404 when the SKU is unknown;
- `GET /v1/packaging-units?productPKey=<pKey>&locationGroupName=<group>`: the
  packaging units holding a product within a location group
  (`PackagingUnitVO`: `quantity` as a measurable `{unit, magnitude}`,
  `availabilityState`), summed here over the available ones. The query
  parameter names come from `PackagingUnitApi.findOfProductinLG(productPKey,
  locationGroupName)`; the published interface gives the method, not the
  URL's parameter spelling, so they are the part to confirm against a
  running server.

Errors follow the service's two documented formats: a "server declined" body
(`timestamp, status, error, exception, message, path`, e.g. an expired token)
and an application error (`message, messageKey, httpStatus, obj`).

What is missing (so the saga cannot make a WMS its stock of record): no public
reservation or allocation API. The inventory service has a `Reservation`
entity and a `ReservationService` internally, but no REST resource for them,
and the service itself is in private preview; nor is there a documented way to
create a shipping or picking order for a sale order from outside. With no
atomic "reserve N units of this product for this order" call, concurrent
orders could not be kept from selling the same unit twice; the ERP's
reservation keeps that guarantee.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import urllib3

from lambdas.orders.wms.port import WarehouseError, WarehouseProduct, WarehouseUnavailable

ACCEPT = "application/json"


class OpenWms:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        location_group: str = "STOCK",
        timeout: urllib3.Timeout | None = None,
        http: urllib3.PoolManager | None = None,
    ):
        self._base = base_url.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": ACCEPT,
            "User-Agent": "stockoss-orders/1",
        }
        self._location_group = location_group
        self._timeout = timeout or urllib3.Timeout(connect=3.0, read=10.0)
        self._http = http or urllib3.PoolManager(maxsize=4, retries=False)

    def _get(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        url = f"{self._base}{path}?{urlencode(query)}"
        try:
            response = self._http.request(
                "GET", url, headers=self._headers, timeout=self._timeout, retries=False
            )
        except urllib3.exceptions.HTTPError as exc:
            raise WarehouseUnavailable(f"{url}: {exc}") from exc
        try:
            body = json.loads(response.data) if response.data else None
        except ValueError:
            body = None
        if response.status >= 500 or response.status in (408, 429):
            raise WarehouseUnavailable(f"{url}: HTTP {response.status}: {_message(body)}")
        if response.status not in (200, 404):
            raise WarehouseError(f"{url}: HTTP {response.status}: {_message(body)}")
        return response.status, body

    def product(self, sku: str) -> WarehouseProduct | None:
        status, body = self._get("/v1/products", {"sku": sku})
        if status == 404:
            return None
        unit = body.get("baseUnit") or {}
        return WarehouseProduct(
            key=str(body["pKey"]),
            sku=str(body["sku"]),
            label=str(body.get("label") or body.get("description") or body["sku"]),
            base_unit=str(unit.get("unit") or "PIECE") if isinstance(unit, dict) else str(unit),
        )

    def available(self, product: WarehouseProduct) -> int:
        status, body = self._get(
            "/v1/packaging-units", {"productPKey": product.key, "locationGroupName": self._location_group}
        )
        if status == 404 or not body:
            return 0
        return sum(
            int((unit.get("quantity") or {}).get("magnitude", 0))
            for unit in body
            if unit.get("availabilityState", "AVAILABLE") == "AVAILABLE"
        )


def _message(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)
    return str(body)[:200]
