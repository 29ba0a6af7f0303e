"""A contract emulator of OpenWMS.org's inventory API: products and packaging units, read-only.

Serves what lambdas/orders/wms/openwms.py documents: `GET /v1/products`
(all, `?sku=`, `?sku=&uom=`) and `GET /v1/packaging-units?productPKey=&locationGroupName=`,
with the service's two error formats (a "server declined" body for a bad
token, an application error for an unknown product). Stock is split into
packaging units on two locations, one of them blocked, as a warehouse has.
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from local_platform.emulators.http_server import EmulatorServer, Request, Response
from local_platform.emulators.odoo import STOCKOSS_CATALOG

LOCATION_GROUP = "STOCK"


class OpenWmsEmulator(EmulatorServer):
    name = "openwms-emulator"

    def __init__(self, *, token: str | None = None, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.token = token or secrets.token_urlsafe(24)
        self._lock = threading.Lock()
        self.products: dict[str, dict[str, Any]] = {}
        self.units: list[dict[str, Any]] = []
        for index, (sku, (label, _, _, on_hand)) in enumerate(sorted(STOCKOSS_CATALOG.items()), start=1):
            self.add_product(sku, label, on_hand, key=f"P{index:04d}")

    def add_product(
        self, sku: str, label: str, on_hand: int, *, key: str | None = None, blocked: int = 2
    ) -> None:
        with self._lock:
            key = key or f"P{len(self.products) + 1:04d}"
            self.products[sku] = {
                "pKey": key,
                "sku": sku,
                "label": label,
                "description": label,
                "baseUnit": {"unit": "PIECE", "magnitude": 1},
                "availabilityState": "AVAILABLE",
            }
            product = self.products[sku]
            self.units.append(self._unit(product, on_hand, "EXT_/0000/0000/0001/0001", "AVAILABLE"))
            self.units.append(self._unit(product, blocked, "EXT_/0000/0000/0002/0001", "NOT_AVAILABLE"))

    def _unit(self, product: dict[str, Any], quantity: int, location: str, state: str) -> dict[str, Any]:
        return {
            "pKey": f"PU{len(self.units) + 1:06d}",
            "product": {"pKey": product["pKey"], "sku": product["sku"]},
            "quantity": {
                "@class": "org.openwms.core.units.api.Piece",
                "unit": "PIECE",
                "magnitude": quantity,
            },
            "actualLocation": {"locationId": location, "locationGroupName": LOCATION_GROUP},
            "availabilityState": state,
        }

    def respond(self, request: Request) -> Response:
        if request.method != "GET":
            return self._declined(
                request, 405, "Method Not Allowed", "HttpRequestMethodNotSupportedException"
            )
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token, self.token):
            return self._declined(request, 401, "Unauthorized", "org.ameba.oauth2.InvalidTokenException")
        query = {k: v[-1] for k, v in request.query.items()}
        with self._lock:
            if request.path == "/v1/products":
                return self._products(query)
            if request.path == "/v1/packaging-units":
                return self._packaging_units(query)
        return self._declined(request, 404, "Not Found", "NoHandlerFoundException")

    def _products(self, query: dict[str, str]) -> Response:
        if "sku" not in query:
            return Response.json(200, list(self.products.values()))
        product = self.products.get(query["sku"])
        if product is None or ("uom" in query and query["uom"] != product["baseUnit"]["unit"]):
            return Response.json(
                404,
                {
                    "message": f"Product with SKU [{query['sku']}] does not exist",
                    "messageKey": "owms.wms.inv.product.notFoundBySKU",
                    "httpStatus": "404",
                    "obj": [query["sku"]],
                },
            )
        return Response.json(200, product)

    def _packaging_units(self, query: dict[str, str]) -> Response:
        key, group = query.get("productPKey"), query.get("locationGroupName")
        if not key or not group:
            return Response.json(
                400,
                {
                    "message": "productPKey and locationGroupName are required",
                    "messageKey": "owms.common.badRequest",
                    "httpStatus": "400",
                },
            )
        units = [
            u
            for u in self.units
            if u["product"]["pKey"] == key and u["actualLocation"]["locationGroupName"] == group
        ]
        return Response.json(200, units)

    @staticmethod
    def _declined(request: Request, status: int, error: str, exception: str) -> Response:
        return Response.json(
            status,
            {
                "timestamp": int(time.time() * 1000),
                "status": status,
                "error": error,
                "exception": exception,
                "message": error,
                "path": request.path,
            },
        )
