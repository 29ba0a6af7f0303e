"""The ERP and WMS adapters against their recorded transcripts (no server), and the emulators against
the same transcripts (recorded again, they must not drift)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lambdas.orders.erp.odoo import OdooErp
from lambdas.orders.erp.transports import Json2Transport, JsonRpcTransport
from lambdas.orders.wms.openwms import OpenWms
from tests.contracts import scenarios
from tests.contracts.record import record_emulators
from tests.contracts.transcripts import ReplayServer, load

REPLAYS: dict[str, tuple[Callable[[Any], list[Any]], Callable[[str], Any]]] = {
    "odoo_json2": (scenarios.odoo, lambda url: OdooErp(Json2Transport(url, "any-key", database="stockoss"))),
    "odoo_jsonrpc": (
        scenarios.odoo,
        lambda url: OdooErp(JsonRpcTransport(url, "stockoss", "stockoss-integration", "any-key")),
    ),
    "odoo_json2_refused_key": (
        scenarios.odoo_refused_key,
        lambda url: OdooErp(Json2Transport(url, "k", database="stockoss")),
    ),
    "odoo_jsonrpc_refused_key": (
        scenarios.odoo_refused_key,
        lambda url: OdooErp(JsonRpcTransport(url, "stockoss", "stockoss-integration", "k")),
    ),
    "openwms": (scenarios.openwms, lambda url: OpenWms(url, "any-token")),
}


@pytest.mark.parametrize("name", sorted(REPLAYS))
def test_the_adapter_sends_and_reads_exactly_what_was_recorded(name: str) -> None:
    transcript = load(name)
    scenario, build = REPLAYS[name]
    server = ReplayServer(transcript["exchanges"])
    server.start()
    try:
        results = scenario(build(server.url))
    finally:
        server.stop()
    assert server.mismatches == []
    assert server.finished, "the adapter made fewer requests than recorded"
    assert results == transcript["results"]


def test_the_emulators_still_answer_as_recorded() -> None:
    for name, transcript in record_emulators().items():
        assert transcript == load(name), (
            f"{name} drifted: run `python -m tests.contracts.record` and review the diff"
        )


def test_the_recorded_errors_are_the_documented_ones() -> None:
    results = dict(map(tuple, load("odoo_json2")["results"]))
    assert results["confirmed again: refused"]["kind"] == "odoo.exceptions.UserError"
    assert results["a sale order that does not exist"]["status"] == 404
    assert results["a sale order for no customer: refused"]["error"] == "ErpRefused"
    assert load("odoo_json2_refused_key")["exchanges"][0]["response"]["status"] == 401
    assert load("odoo_jsonrpc_refused_key")["results"][0][1]["error"] == "ErpAccessDenied"
