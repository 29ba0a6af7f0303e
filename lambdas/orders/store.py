"""Where the orders team keeps its orders: one DynamoDB item per order, shared by the API and the saga.

The item holds the order as placed, the saga's state and what followed (the
invoice), so `GET /v1/orders/{id}` answers from it. Two guards keep concurrent
Lambdas from stepping on each other:

- a version: every save is conditional on the version read, so a stale writer
  loses (`Conflict`) instead of overwriting;
- a lease: the saga takes the order for the length of one invocation
  (`acquire`), so two deliveries of the same message never run the saga's
  ERP steps side by side; a crashed holder's lease expires by itself.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from botocore.exceptions import ClientError

from lambdas.orders.saga import Reason, Rejection, SagaState, Shortage, Stage


class Conflict(Exception):
    """The order changed since it was read (or its lease was lost): read again."""


@dataclass(frozen=True)
class PlacedBy:
    kind: str  # customer | partner
    client_id: str
    subject: str


@dataclass(frozen=True)
class OrderRecord:
    order_id: str
    placed_by: PlacedBy
    client_order_ref: str
    customer_id: str
    request_hash: str  # of the client's request: a retry with another body is a conflict, not the same order
    payload: dict[str, Any]  # the order_created v2 payload
    placed_at: str
    saga: SagaState
    invoice: tuple[str, str] | None = None  # (invoice number, when)
    version: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.invoice is not None:
            return "invoiced"
        if self.saga.stage is Stage.CONFIRMED:
            return "confirmed"
        if self.saga.stage is Stage.REJECTED:
            return "rejected"
        return "received" if self.saga.stage is Stage.PLACED else "processing"

    def with_saga(self, saga: SagaState) -> OrderRecord:
        return replace(self, saga=saga)


def to_json(record: OrderRecord) -> str:
    data = asdict(record)
    data.pop("version")
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def from_json(text: str, version: int) -> OrderRecord:
    data = json.loads(text)
    saga = data["saga"]
    rejection = saga.get("rejection")
    return OrderRecord(
        order_id=data["order_id"],
        placed_by=PlacedBy(**data["placed_by"]),
        client_order_ref=data["client_order_ref"],
        customer_id=data["customer_id"],
        request_hash=data["request_hash"],
        payload=data["payload"],
        placed_at=data["placed_at"],
        saga=SagaState(
            order_id=saga["order_id"],
            stage=Stage(saga["stage"]),
            partner_id=saga["partner_id"],
            shipping_partner_id=saga["shipping_partner_id"],
            products=tuple((sku, int(pid)) for sku, pid in saga["products"]),
            sale_order_id=saga["sale_order_id"],
            sale_order_name=saga["sale_order_name"],
            reservation=saga["reservation"],
            rejection=Rejection(
                reason=Reason(rejection["reason"]),
                detail=rejection["detail"],
                shortages=tuple(Shortage(**s) for s in rejection["shortages"]),
            )
            if rejection
            else None,
            compensations=tuple((a, r) for a, r in saga["compensations"]),
            history=tuple((s, at) for s, at in saga["history"]),
            erp_calls=int(saga.get("erp_calls", 0)),
            erp_failures=int(saga.get("erp_failures", 0)),
            deferrals=int(saga.get("deferrals", 0)),
        ),
        invoice=(data["invoice"][0], data["invoice"][1]) if data.get("invoice") else None,
        version=version,
        extra=data.get("extra") or {},
    )


class OrderStore(Protocol):
    def get(self, order_id: str) -> OrderRecord | None: ...

    def create(self, record: OrderRecord) -> bool:
        """Store a new order; False if one with this id exists already."""
        ...

    def save(self, record: OrderRecord, lease_owner: str | None = None) -> OrderRecord:
        """Write `record` if the stored version is still `record.version` (and the lease is still
        `lease_owner`'s, when given); the saved record (version + 1). Conflict otherwise."""
        ...

    def acquire(self, order_id: str, owner: str, now: float, seconds: float) -> bool:
        """Take the order's lease until now + seconds, unless someone else holds it."""
        ...

    def release(self, order_id: str, owner: str) -> None: ...


class DynamoOrderStore:
    def __init__(self, dynamodb: Any, table: str):
        self._dynamodb = dynamodb
        self._table = table

    def get(self, order_id: str) -> OrderRecord | None:
        item = self._dynamodb.get_item(
            TableName=self._table, Key={"order_id": {"S": order_id}}, ConsistentRead=True
        ).get("Item")
        return from_json(item["record"]["S"], int(item["version"]["N"])) if item else None

    def create(self, record: OrderRecord) -> bool:
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item={
                    "order_id": {"S": record.order_id},
                    "record": {"S": to_json(record)},
                    "version": {"N": "1"},
                    "status": {"S": record.status},
                    "client_id": {"S": record.placed_by.client_id},
                    "customer_id": {"S": record.customer_id},
                },
                ConditionExpression="attribute_not_exists(order_id)",
            )
        except ClientError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    def save(self, record: OrderRecord, lease_owner: str | None = None) -> OrderRecord:
        condition = "version = :expected"
        values: dict[str, Any] = {
            ":expected": {"N": str(record.version)},
            ":version": {"N": str(record.version + 1)},
            ":record": {"S": to_json(record)},
            ":status": {"S": record.status},
        }
        if lease_owner is not None:
            condition += " AND lease_owner = :owner"
            values[":owner"] = {"S": lease_owner}
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"order_id": {"S": record.order_id}},
                UpdateExpression="SET #record = :record, #version = :version, #status = :status",
                ConditionExpression=condition,
                ExpressionAttributeNames={"#record": "record", "#version": "version", "#status": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if _failed_condition(exc):
                raise Conflict(f"order {record.order_id} changed (or its lease was lost)") from exc
            raise
        return replace(record, version=record.version + 1)

    def acquire(self, order_id: str, owner: str, now: float, seconds: float) -> bool:
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"order_id": {"S": order_id}},
                UpdateExpression="SET lease_owner = :owner, lease_until = :until",
                ConditionExpression=(
                    "attribute_exists(order_id) AND "
                    "(attribute_not_exists(lease_until) OR lease_until < :now OR lease_owner = :owner)"
                ),
                ExpressionAttributeValues={
                    ":owner": {"S": owner},
                    ":until": {"N": f"{now + seconds:.3f}"},
                    ":now": {"N": f"{now:.3f}"},
                },
            )
        except ClientError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    def release(self, order_id: str, owner: str) -> None:
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key={"order_id": {"S": order_id}},
                UpdateExpression="REMOVE lease_owner, lease_until",
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeValues={":owner": {"S": owner}},
            )
        except ClientError as exc:
            if not _failed_condition(exc):  # someone else's now: nothing of ours to release
                raise


def _failed_condition(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class InMemoryOrderStore:
    """The same contract in a dict (unit tests)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.items: dict[str, tuple[str, int]] = {}
        self.leases: dict[str, tuple[str, float]] = {}

    def get(self, order_id: str) -> OrderRecord | None:
        with self._lock:
            found = self.items.get(order_id)
        return from_json(*found) if found else None

    def create(self, record: OrderRecord) -> bool:
        with self._lock:
            if record.order_id in self.items:
                return False
            self.items[record.order_id] = (to_json(record), 1)
            return True

    def save(self, record: OrderRecord, lease_owner: str | None = None) -> OrderRecord:
        with self._lock:
            current = self.items.get(record.order_id)
            holder = self.leases.get(record.order_id, ("", 0.0))[0]
            if (
                current is None
                or current[1] != record.version
                or (lease_owner is not None and holder != lease_owner)
            ):
                raise Conflict(f"order {record.order_id} changed (or its lease was lost)")
            self.items[record.order_id] = (to_json(record), record.version + 1)
        return replace(record, version=record.version + 1)

    def acquire(self, order_id: str, owner: str, now: float, seconds: float) -> bool:
        with self._lock:
            if order_id not in self.items:
                return False
            holder, until = self.leases.get(order_id, ("", 0.0))
            if holder and holder != owner and until >= now:
                return False
            self.leases[order_id] = (owner, now + seconds)
            return True

    def release(self, order_id: str, owner: str) -> None:
        with self._lock:
            if self.leases.get(order_id, ("", 0.0))[0] == owner:
                del self.leases[order_id]
