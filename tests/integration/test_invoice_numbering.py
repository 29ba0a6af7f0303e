"""Invoice numbers against the moto server: gapless and unique per entity, series and year under
50 truly concurrent requests, retries and crashes between numbering and storage."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest

from lambdas.invoices.models import Invoice
from lambdas.invoices.store import DynamoInvoiceStore, IssuedRecord, Series
from tests.fixtures.invoices import InvoiceResources, invoice_request, issued

pytestmark = pytest.mark.integration

NOW = datetime(2026, 10, 21, 8, 0, tzinfo=UTC)
TODAY = NOW.date()
SERIES = Series("stockoss-fr", "F", 2026)


def store(endpoint: str, names: InvoiceResources, **kwargs: Any) -> DynamoInvoiceStore:
    # A client per store: boto3 clients are thread-safe, and each worker of a Lambda has its own.
    return DynamoInvoiceStore(
        boto3.client("dynamodb", endpoint_url=endpoint), names.invoices_table, names.counters_table, **kwargs
    )


def builder(order_id: str):
    def build(number: str, issued_at: datetime, issue_date: date) -> Invoice:
        return issued(invoice_request(order_id), number=number, invoice_id=f"inv-{order_id}")

    return build


def issue(target: DynamoInvoiceStore, order_id: str) -> IssuedRecord:
    return target.issue(f"stockoss-fr#{order_id}#invoice", SERIES, NOW, TODAY, builder(order_id))


def numbers_in_table(endpoint: str, names: InvoiceResources) -> list[str]:
    items = boto3.client("dynamodb", endpoint_url=endpoint).scan(TableName=names.invoices_table)["Items"]
    return sorted(item["number"]["S"] for item in items)


def expected(count: int) -> list[str]:
    return [SERIES.number(n) for n in range(1, count + 1)]


def test_fifty_concurrent_requests_get_fifty_gapless_numbers(
    aws_endpoint_url: str, invoice_resources: InvoiceResources
) -> None:
    start = threading.Barrier(50)

    def one(i: int) -> str:
        target = store(aws_endpoint_url, invoice_resources)
        start.wait()
        return issue(target, f"ORD-{i:03d}").invoice.number

    with ThreadPoolExecutor(max_workers=50) as pool:
        numbers = list(pool.map(one, range(50)))
    assert sorted(numbers) == expected(50)
    assert numbers_in_table(aws_endpoint_url, invoice_resources) == expected(50)
    counter = boto3.client("dynamodb", endpoint_url=aws_endpoint_url).get_item(
        TableName=invoice_resources.counters_table, Key={"pk": {"S": SERIES.key}}
    )["Item"]
    assert counter["last"]["N"] == "50"


def test_concurrent_retries_of_one_request_share_one_number(
    aws_endpoint_url: str, invoice_resources: InvoiceResources
) -> None:
    start = threading.Barrier(20)

    def one(i: int) -> str:
        target = store(aws_endpoint_url, invoice_resources)
        start.wait()
        return issue(target, "ORD-SAME" if i % 2 else f"ORD-{i:03d}").invoice.number

    with ThreadPoolExecutor(max_workers=20) as pool:
        numbers = list(pool.map(one, range(20)))
    same = {n for i, n in enumerate(numbers) if i % 2}
    assert len(same) == 1  # ten deliveries of one request: one number
    assert numbers_in_table(aws_endpoint_url, invoice_resources) == expected(11)


class CrashAfterCommit(Exception):
    pass


def test_a_crash_between_numbering_and_storage_loses_no_number(
    aws_endpoint_url: str, invoice_resources: InvoiceResources
) -> None:
    dynamodb = boto3.client("dynamodb", endpoint_url=aws_endpoint_url)

    class Crashing:
        """The DynamoDB client of a worker that dies right after its transaction committed."""

        def __getattr__(self, name: str) -> Any:
            return getattr(dynamodb, name)

        def transact_write_items(self, **kwargs: Any) -> Any:
            dynamodb.transact_write_items(**kwargs)
            raise CrashAfterCommit()

    crashing = DynamoInvoiceStore(
        Crashing(), invoice_resources.invoices_table, invoice_resources.counters_table
    )
    issue(store(aws_endpoint_url, invoice_resources), "ORD-A")
    with pytest.raises(CrashAfterCommit):
        issue(crashing, "ORD-B")
    retried = issue(store(aws_endpoint_url, invoice_resources), "ORD-B")  # the redelivered request
    later = issue(store(aws_endpoint_url, invoice_resources), "ORD-C")
    assert (retried.invoice.number, later.invoice.number) == (SERIES.number(2), SERIES.number(3))
    assert numbers_in_table(aws_endpoint_url, invoice_resources) == expected(3)


def test_a_crash_before_the_transaction_takes_no_number(
    aws_endpoint_url: str, invoice_resources: InvoiceResources
) -> None:
    def crashing_build(number: str, issued_at: datetime, issue_date: date) -> Invoice:
        raise CrashAfterCommit()

    with pytest.raises(CrashAfterCommit):
        store(aws_endpoint_url, invoice_resources).issue(
            "stockoss-fr#ORD-X#invoice", SERIES, NOW, TODAY, crashing_build
        )
    assert issue(store(aws_endpoint_url, invoice_resources), "ORD-Y").invoice.number == SERIES.number(1)


def test_series_count_separately_and_dates_never_go_backwards(
    aws_endpoint_url: str, invoice_resources: InvoiceResources
) -> None:
    target = store(aws_endpoint_url, invoice_resources)
    target.issue("k1", SERIES, NOW, date(2026, 10, 22), builder("O1"))
    # A worker whose clock is a day behind still dates its invoice no earlier than the last one.
    late = target.issue(
        "k2",
        SERIES,
        NOW,
        date(2026, 10, 21),
        lambda n, at, day: issued(invoice_request("O2"), number=n).model_copy(update={"issue_date": day}),
    )
    assert late.invoice.number == SERIES.number(2)
    assert late.invoice.issue_date == date(2026, 10, 22)
    credit = target.issue("k3", Series("stockoss-fr", "A", 2026), NOW, TODAY, builder("O3"))
    assert credit.invoice.number == "A-2026-000001"
