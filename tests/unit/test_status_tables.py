"""`make status` prints tables (never a Python dict) that fit an 80-column terminal."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from tools.status import WIDTH, tables

STATE = {
    "pid": 4242,
    "started_at": "2026-12-04T20:00:00.123456+00:00",
    "project": "stockoss",
    "env": "dev",
    "gateway_url": "http://127.0.0.1:40001",
    "aws_endpoint_url": "http://127.0.0.1:40002",
    "console_url": "http://127.0.0.1:40003",
    "api_keys": {"orders": "k" * 40, "billing": "b" * 40},
}


def _picture() -> dict[str, Any]:
    return {
        "gateway_up": True,
        "events_table_items": 1234,
        "rejected_objects": 7,
        "ingest": {
            "orders": {
                "accepted": 1000,
                "accepted_per_s": 12.5,
                "rejected_requests": 5,
                "rejected_requests_per_s": 0.5,
            },
            "billing": {
                "accepted": 234,
                "accepted_per_s": 0.0,
                "rejected_requests": 2,
                "rejected_requests_per_s": 0.0,
            },
        },
        "queues": {
            "stockoss-dev-billing-events": {"visible": 3, "in_flight": 1, "delayed": 0},
            "stockoss-dev-billing-events-dlq": {"visible": 2, "in_flight": 0, "delayed": 0},
            "stockoss-dev-fanout-failures": {"visible": 0, "in_flight": 0, "delayed": 0},
        },
        "kafka_lag": [
            {
                "group": "stockoss-dev-billing",
                "topic": "dev.orders.order_placed",
                "end": 90,
                "committed": 88,
                "lag": 2,
            }
        ],
        "lake": {
            "raw_objects": 40,
            "raw_objects_not_yet_processed": 3,
            "last_run_id": "run-1",
            "last_run_at": "t",
        },
        "live": {
            "gateway": {"url": "http://127.0.0.1:40001", "responses": {"orders": {"202": 80, "429": 9}}},
            "functions": {
                "ingest": {
                    "invocations": 81,
                    "errors": 0,
                    "timeouts": 0,
                    "crashes": 1,
                    "throttles": 2,
                    "cold_starts": 2,
                    "environments": 2,
                },
                "fanout": {"function": "stockoss-dev-fanout", "invocations": 0},
            },
            "components": {
                "triggers": {
                    "invoices": {
                        "queue": "stockoss-dev-billing-events",
                        "function": "f",
                        "running": True,
                        "messages_received": 70,
                        "messages_failed": 1,
                        "function_errors": 0,
                        "invocations": 9,
                    },
                    "fanout": {
                        "stream_arn": "arn:aws:dynamodb:eu-west-1:1:table/stockoss-dev-events/stream/x",
                        "running": True,
                        "invocations": 4,
                        "records_delivered": 81,
                        "function_errors": 0,
                    },
                    "documents": {
                        "topics": ["dev.orders.order_placed"],
                        "running": False,
                        "invocations": 1,
                        "records_delivered": 5,
                        "function_errors": 1,
                    },
                },
                "kafka": {"bootstrap_servers": "127.0.0.1:9092", "running": True},
                "notification-channels": {"sms": {"url": "http://127.0.0.1:1", "texts": 3}},
            },
        },
    }


def _render() -> str:
    console = Console(file=io.StringIO(), width=WIDTH, record=True, color_system=None)
    for part in tables(STATE, _picture(), 2.0):
        console.print(part)
    return console.export_text()


def test_every_line_fits_an_80_column_terminal() -> None:
    lines = _render().splitlines()
    assert lines
    assert max(len(line) for line in lines) <= WIDTH


def test_live_counters_are_rows_of_tables_not_python_dicts() -> None:
    text = _render()
    assert "{" not in text and "}" not in text
    rows: dict[str, list[str]] = {}  # first row of each name (the ingest table comes before the keys)
    for line in text.splitlines():
        if line.startswith("  ") and line.split():
            rows.setdefault(line.split()[0], line.split())
    # Ingest: the gateway's 429s per team beside the stored and rejected counts.
    assert rows["orders"][-1] == "9"
    # Functions: calls and failures (errors + timeouts + crashes) from the live status API.
    assert rows["ingest"] == ["ingest", "81", "1", "2", "2", "2"]
    # Triggers: records delivered and failures per function, whatever the trigger kind.
    assert rows["invoices"][-3:] == ["9", "70", "1"]
    assert "(stopped)" in text and "stream events" in text
    # Names without the environment's shared prefix; nested statuses as dotted keys.
    assert "billing-events-dlq" in text and "stockoss-dev-billing-events-dlq" not in text
    assert "notification-channels.sms.texts" in text
