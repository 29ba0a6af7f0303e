"""Record the adapters' transcripts: against the local emulators (default) or a real server.

    python -m tests.contracts.record                                  # the emulators -> tests/contracts/*.json
    python -m tests.contracts.record --odoo-url https://erp.example.com --odoo-key KEY --odoo-db DB \
        --odoo-login integration@example.com                          # a real Odoo 19 (a test database!)

A real server must hold the catalogue's SKUs (SKU-LAMP-LED, SKU-BOOK-DESIGN) with stock, in EUR.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from lambdas.orders.erp.odoo import OdooErp
from lambdas.orders.erp.transports import Json2Transport, JsonRpcTransport
from lambdas.orders.wms.openwms import OpenWms
from local_platform.emulators.odoo import OdooEmulator
from local_platform.emulators.openwms import OpenWmsEmulator
from tests.contracts import scenarios
from tests.contracts.transcripts import RecordingPool, save


def _record(scenario: Callable[[Any], list[Any]], build: Callable[[RecordingPool], Any]) -> dict[str, Any]:
    pool = RecordingPool(maxsize=2, retries=False)
    results = scenario(build(pool))
    return {"exchanges": pool.exchanges, "results": results}


def record_odoo(url: str, key: str, database: str, login: str) -> dict[str, dict[str, Any]]:
    return {
        "odoo_json2": _record(
            scenarios.odoo, lambda pool: OdooErp(Json2Transport(url, key, database=database, http=pool))
        ),
        "odoo_jsonrpc": _record(
            scenarios.odoo, lambda pool: OdooErp(JsonRpcTransport(url, database, login, key, http=pool))
        ),
        "odoo_json2_refused_key": _record(
            scenarios.odoo_refused_key, lambda pool: OdooErp(Json2Transport(url, "not-the-key", http=pool))
        ),
        "odoo_jsonrpc_refused_key": _record(
            scenarios.odoo_refused_key,
            lambda pool: OdooErp(JsonRpcTransport(url, database, login, "not-the-key", http=pool)),
        ),
    }


def record_emulators() -> dict[str, dict[str, Any]]:
    transcripts: dict[str, dict[str, Any]] = {}
    for name in ("odoo_json2", "odoo_jsonrpc", "odoo_json2_refused_key", "odoo_jsonrpc_refused_key"):
        with OdooEmulator() as odoo:  # a fresh database per transcript: the same ids every time
            assert isinstance(odoo, OdooEmulator)
            transcripts[name] = record_odoo(odoo.url, odoo.api_key, odoo.database, odoo.login)[name]
    with OpenWmsEmulator() as wms:
        assert isinstance(wms, OpenWmsEmulator)
        transcripts["openwms"] = _record(
            scenarios.openwms, lambda pool: OpenWms(wms.url, wms.token, http=pool)
        )
    return transcripts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--odoo-url")
    parser.add_argument("--odoo-key")
    parser.add_argument("--odoo-db", default="")
    parser.add_argument("--odoo-login", default="")
    args = parser.parse_args()
    if args.odoo_url:
        transcripts = record_odoo(args.odoo_url, args.odoo_key, args.odoo_db, args.odoo_login)
    else:
        transcripts = record_emulators()
    for name, transcript in transcripts.items():
        save(name, transcript)
        print(f"{name}: {len(transcript['exchanges'])} exchanges")


if __name__ == "__main__":
    main()
