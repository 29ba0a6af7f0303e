"""Where the order processor keeps its orders: a DynamoDB table of its own (the team's, not the platform's).

Writes are optimistic: each order carries a version, and a write succeeds
only if the version is still the one read. Two deliveries of the same event
racing each other therefore apply it once; the loser sees a conflict and
retries through the queue.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Protocol

from botocore.exceptions import ClientError

from lambdas.order_processor.orders import Order, OrderState


class Conflict(Exception):
    """Someone else wrote the order in between: retry."""


class OrderStore(Protocol):
    def get(self, order_id: str) -> Order | None: ...
    def save(self, order: Order) -> None:
        """Write the order if its stored version is still order.version - 1 (or absent for version 1)."""
        ...


def to_item(order: Order) -> dict[str, dict[str, Any]]:
    return {
        "order_id": {"S": order.order_id},
        "customer_id": {"S": order.customer_id},
        "state": {"S": order.state.value},
        "total_amount": {"S": str(order.total[0])},
        "currency": {"S": order.total[1]},
        "lines": {"S": json.dumps(order.lines, sort_keys=True)},
        "applied_event_ids": {"SS": sorted(order.applied_event_ids)},
        "history": {"S": json.dumps(order.history)},
        "version": {"N": str(order.version)},
    }


def from_item(item: dict[str, dict[str, Any]]) -> Order:
    return Order(
        order_id=item["order_id"]["S"],
        customer_id=item["customer_id"]["S"],
        state=OrderState(item["state"]["S"]),
        total=(Decimal(item["total_amount"]["S"]), item["currency"]["S"]),
        lines=json.loads(item["lines"]["S"]),
        applied_event_ids=frozenset(item["applied_event_ids"]["SS"]),
        history=tuple((state, event_id) for state, event_id in json.loads(item["history"]["S"])),
        version=int(item["version"]["N"]),
    )


class DynamoOrderStore:
    def __init__(self, dynamodb: Any, table: str):
        self._dynamodb = dynamodb
        self._table = table

    def get(self, order_id: str) -> Order | None:
        response = self._dynamodb.get_item(
            TableName=self._table, Key={"order_id": {"S": order_id}}, ConsistentRead=True
        )
        return from_item(response["Item"]) if "Item" in response else None

    def save(self, order: Order) -> None:
        condition: dict[str, Any]
        if order.version == 1:
            condition = {"ConditionExpression": "attribute_not_exists(order_id)"}
        else:
            condition = {
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": {":expected": {"N": str(order.version - 1)}},
            }
        try:
            self._dynamodb.put_item(TableName=self._table, Item=to_item(order), **condition)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise Conflict(f"order {order.order_id} changed concurrently") from exc
            raise


class InMemoryOrderStore:
    """The same contract in a dict (unit tests, benchmarks)."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}

    def get(self, order_id: str) -> Order | None:
        return self.orders.get(order_id)

    def save(self, order: Order) -> None:
        current = self.orders.get(order.order_id)
        if (current.version if current else 0) != order.version - 1:
            raise Conflict(f"order {order.order_id} changed concurrently")
        self.orders[order.order_id] = order
