"""Where the notification service keeps its state: DynamoDB tables of its own.

    deliveries    n#<notification_id>: the notification as first received (what every retry sends)
                  d#<delivery_id>: one delivery's record (status, attempts, lease, outcome, events sent)
    recipients    a customer's preferences, e-mail, phone and push subscriptions (the API writes them)
    suppressions  addresses that bounced for good or complained (never written to again)
    endpoints     a partner's webhook endpoint state (disabled after a 410, its circuit breaker)
    limits        rate-limit buckets shared by every instance (per provider, per recipient and hour)
    inbox         a customer's in-app notifications, newest first

A delivery is claimed before anything is sent, by a conditional write (delivery.claimable is
the same rule): the claim takes a lease, counts the attempt and returns the record as it was,
so the claimer knows whether the previous attempt's outcome is unknown. Every later write is
conditional on still holding that attempt, so a sender that lost its lease cannot overwrite
the one that took it over.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from lambdas.notifications.catalog import Channel, QuietHours
from lambdas.notifications.delivery import Delivery, Status
from lambdas.notifications.models import Notification
from lambdas.notifications.policy import Preferences, PushSubscription

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
DAY = 86_400


def _item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class Claim:
    """The answer to a claim: taken (with the record as it was before), or not (with the record now)."""

    def __init__(self, taken: bool, before: Delivery | None, current: Delivery | None):
        self.taken = taken
        self.before = before
        self.current = current


class DeliveryLedger(Protocol):
    def remember(self, notification: Notification, retention_days: int) -> Notification: ...
    def notification(self, notification_id: str) -> Notification | None: ...
    def delivery(self, delivery_id: str) -> Delivery | None: ...
    def claim(
        self, notification: Notification, channel: Channel, now: float, lease_seconds: float
    ) -> Claim: ...
    def finish(self, delivery: Delivery, attempt: int, status: Status, **fields: Any) -> bool: ...
    def wait(
        self, delivery: Delivery, attempt: int, until: float, *, counts: bool, **fields: Any
    ) -> bool: ...
    def announced(self, delivery_id: str, status: Status) -> None: ...
    def report(self, delivery_id: str, **fields: Any) -> Delivery | None: ...


class DynamoLedger:
    def __init__(self, dynamodb: Any, table: str, clock: Any = time.time):
        self._db = dynamodb
        self._table = table
        self._clock = clock

    def remember(self, notification: Notification, retention_days: int) -> Notification:
        """Keep the notification as first received; a second request with the same id gets the first."""
        try:
            self._db.put_item(
                TableName=self._table,
                Item=_item(
                    {
                        "pk": f"n#{notification.notification_id}",
                        "notification": notification.to_json(),
                        "expires_at": int(self._clock()) + retention_days * DAY,
                    }
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
            return notification
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
        stored = self.notification(notification.notification_id)
        return stored or notification

    def notification(self, notification_id: str) -> Notification | None:
        item = self._db.get_item(
            TableName=self._table, Key=_item({"pk": f"n#{notification_id}"}), ConsistentRead=True
        ).get("Item")
        return Notification.from_json(_plain(item)["notification"]) if item else None

    def delivery(self, delivery_id: str) -> Delivery | None:
        item = self._db.get_item(
            TableName=self._table, Key=_item({"pk": f"d#{delivery_id}"}), ConsistentRead=True
        ).get("Item")
        return _delivery(_plain(item)) if item else None

    def claim(self, notification: Notification, channel: Channel, now: float, lease_seconds: float) -> Claim:
        delivery_id = notification.delivery_id(channel)
        try:
            answer = self._db.update_item(
                TableName=self._table,
                Key=_item({"pk": f"d#{delivery_id}"}),
                UpdateExpression=(
                    "SET #s = :sending, attempts = if_not_exists(attempts, :zero) + :one, lease_until = :lease, "
                    "attempt_started_at = :now, notification_id = :nid, channel = :channel, "
                    "customer_id = if_not_exists(customer_id, :customer), expires_at = :expires"
                ),
                ConditionExpression=(
                    "attribute_not_exists(pk) OR #s = :pending OR (#s = :waiting AND next_attempt_at <= :now) "
                    "OR (#s = :waiting AND provider_accepted = :accepted) OR (#s = :sending AND lease_until < :now)"
                ),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=_item(
                    {
                        ":sending": Status.SENDING.value,
                        ":pending": Status.PENDING.value,
                        ":waiting": Status.WAITING.value,
                        ":zero": 0,
                        ":one": 1,
                        ":accepted": True,
                        ":lease": _number(now + lease_seconds),
                        ":now": _number(now),
                        ":nid": notification.notification_id,
                        ":channel": channel.value,
                        ":customer": notification.customer_id,
                        ":expires": int(now) + 30 * DAY,
                    }
                ),
                ReturnValues="ALL_OLD",
            )
        except ClientError as exc:
            if not _conditional_failed(exc):
                raise
            return Claim(False, None, self.delivery(delivery_id))
        old = answer.get("Attributes")
        return Claim(True, _delivery(_plain(old)) if old and "status" in old else None, None)

    def finish(self, delivery: Delivery, attempt: int, status: Status, **fields: Any) -> bool:
        """Record an outcome of the attempt we hold; False when another sender took it over."""
        return self._update_held(
            delivery, attempt, {"status": status.value, **fields}, remove=("lease_until", "unknown_since")
        )

    def wait(self, delivery: Delivery, attempt: int, until: float, *, counts: bool, **fields: Any) -> bool:
        """Put the delivery back until `until`; `counts`: whether this was an attempt (else it is given back)."""
        values: dict[str, Any] = {"status": Status.WAITING.value, "next_attempt_at": _number(until), **fields}
        if not counts:
            values["attempts"] = attempt - 1
        return self._update_held(delivery, attempt, values, remove=("lease_until",))

    def _update_held(
        self, delivery: Delivery, attempt: int, values: dict[str, Any], remove: tuple[str, ...]
    ) -> bool:
        names = {f"#f{i}": name for i, name in enumerate(values)}
        sets = ", ".join(f"#f{i} = :v{i}" for i in range(len(values)))
        removes = [r for r in remove if r not in values]
        expression = f"SET {sets}" + (f" REMOVE {', '.join(removes)}" if removes else "")
        try:
            self._db.update_item(
                TableName=self._table,
                Key=_item({"pk": f"d#{delivery.delivery_id}"}),
                UpdateExpression=expression,
                ConditionExpression="#held_status = :sending AND #held_attempts = :attempt",
                ExpressionAttributeNames={**names, "#held_status": "status", "#held_attempts": "attempts"},
                ExpressionAttributeValues=_item(
                    {
                        **{
                            f":v{i}": _number(v) if isinstance(v, float) else v
                            for i, v in enumerate(values.values())
                        },
                        ":sending": Status.SENDING.value,
                        ":attempt": attempt,
                    }
                ),
            )
            return True
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise

    def announced(self, delivery_id: str, status: Status) -> None:
        self._db.update_item(
            TableName=self._table,
            Key=_item({"pk": f"d#{delivery_id}"}),
            UpdateExpression="ADD announced :status",
            ExpressionAttributeValues={":status": {"SS": [status.value]}},
        )

    def report(self, delivery_id: str, **fields: Any) -> Delivery | None:
        """A provider's report about a delivery (accepted, delivered, bounced); None when unknown here."""
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        sets = ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
        try:
            answer = self._db.update_item(
                TableName=self._table,
                Key=_item({"pk": f"d#{delivery_id}"}),
                UpdateExpression=f"SET {sets}",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_item({f":v{i}": v for i, v in enumerate(fields.values())}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return _delivery(_plain(answer["Attributes"]))


def _number(value: float) -> Any:
    from decimal import Decimal

    return Decimal(str(round(value, 3)))


def _delivery(item: dict[str, Any]) -> Delivery:
    return Delivery(
        delivery_id=str(item["pk"]).removeprefix("d#"),
        notification_id=str(item.get("notification_id", "")),
        channel=Channel(item["channel"]),
        status=Status(item.get("status", Status.PENDING.value)),
        attempts=int(item.get("attempts", 0)),
        lease_until=float(item.get("lease_until", 0)),
        next_attempt_at=float(item.get("next_attempt_at", 0)),
        attempt_started_at=float(item.get("attempt_started_at", 0)),
        unknown_since=float(item.get("unknown_since", 0)),
        provider_accepted=bool(item.get("provider_accepted", False)),
        provider_message_id=str(item.get("provider_message_id", "")),
        reason=str(item.get("reason", "")),
        detail=str(item.get("detail", "")),
        announced=frozenset(item.get("announced", set())),
    )


# -- recipients, suppressions ------------------------------------------------------------------------


class RecipientStore(Protocol):
    def preferences(self, customer_id: str) -> Preferences: ...
    def save(self, preferences: Preferences) -> None: ...
    def drop_push_subscription(self, customer_id: str, endpoint: str) -> None: ...


class DynamoRecipients:
    def __init__(self, dynamodb: Any, table: str):
        self._db = dynamodb
        self._table = table

    def preferences(self, customer_id: str) -> Preferences:
        item = self._db.get_item(
            TableName=self._table, Key=_item({"customer_id": customer_id}), ConsistentRead=True
        ).get("Item")
        return preferences_from(_plain(item)) if item else Preferences(customer_id)

    def save(self, preferences: Preferences) -> None:
        self._db.put_item(TableName=self._table, Item=_item(preferences_item(preferences)))

    def drop_push_subscription(self, customer_id: str, endpoint: str) -> None:
        current = self.preferences(customer_id)
        kept = tuple(s for s in current.push_subscriptions if s.endpoint != endpoint)
        if kept != current.push_subscriptions:
            self.save(Preferences(**{**current.__dict__, "push_subscriptions": kept}))


def preferences_item(preferences: Preferences) -> dict[str, Any]:
    return {
        "customer_id": preferences.customer_id,
        "channels": {c.value: v for c, v in preferences.channels.items()},
        "quiet_hours": preferences.quiet_hours.model_dump() if preferences.quiet_hours else None,
        "email": preferences.email,
        "phone": preferences.phone,
        "push_subscriptions": json.dumps([s.__dict__ for s in preferences.push_subscriptions]),
    }


def preferences_from(item: Mapping[str, Any]) -> Preferences:
    return Preferences(
        customer_id=str(item["customer_id"]),
        channels={Channel(c): bool(v) for c, v in dict(item.get("channels") or {}).items()},
        quiet_hours=QuietHours(**item["quiet_hours"]) if item.get("quiet_hours") else None,
        email=item.get("email"),
        phone=item.get("phone"),
        push_subscriptions=tuple(
            PushSubscription(**s) for s in json.loads(item.get("push_subscriptions") or "[]")
        ),
    )


class Suppressions(Protocol):
    def suppressed(self, address: str) -> bool: ...
    def suppress(self, address: str, reason: str, at: datetime) -> None: ...


class DynamoSuppressions:
    def __init__(self, dynamodb: Any, table: str):
        self._db = dynamodb
        self._table = table

    def suppressed(self, address: str) -> bool:
        key = _item({"address": address.strip().lower()})
        return "Item" in self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True)

    def suppress(self, address: str, reason: str, at: datetime) -> None:
        self._db.put_item(
            TableName=self._table,
            Item=_item(
                {"address": address.strip().lower(), "reason": reason, "suppressed_at": at.isoformat()}
            ),
        )


# -- webhook endpoints' state --------------------------------------------------------------------------


class EndpointState:
    def __init__(self, disabled: str = "", failures: int = 0, open_until: float = 0.0):
        self.disabled = disabled  # why it was disabled ("" while enabled)
        self.failures = failures  # failures in a row
        self.open_until = open_until  # the breaker is open until then (epoch seconds)


class EndpointStore(Protocol):
    def state(self, partner: str) -> EndpointState: ...
    def succeeded(self, partner: str) -> None: ...
    def failed(self, partner: str, now: float, threshold: int, open_seconds: int) -> EndpointState: ...
    def disable(self, partner: str, reason: str) -> None: ...


class DynamoEndpoints:
    def __init__(self, dynamodb: Any, table: str):
        self._db = dynamodb
        self._table = table

    def state(self, partner: str) -> EndpointState:
        item = self._db.get_item(
            TableName=self._table, Key=_item({"partner": partner}), ConsistentRead=True
        ).get("Item")
        if not item:
            return EndpointState()
        plain = _plain(item)
        return EndpointState(
            str(plain.get("disabled", "")), int(plain.get("failures", 0)), float(plain.get("open_until", 0))
        )

    def succeeded(self, partner: str) -> None:
        self._db.update_item(
            TableName=self._table,
            Key=_item({"partner": partner}),
            UpdateExpression="SET failures = :zero, open_until = :zero",
            ExpressionAttributeValues=_item({":zero": 0}),
        )

    def failed(self, partner: str, now: float, threshold: int, open_seconds: int) -> EndpointState:
        """Count a failure in a row; at the threshold the breaker opens for open_seconds."""
        answer = self._db.update_item(
            TableName=self._table,
            Key=_item({"partner": partner}),
            UpdateExpression="ADD failures :one",
            ExpressionAttributeValues=_item({":one": 1}),
            ReturnValues="ALL_NEW",
        )
        failures = int(_plain(answer["Attributes"])["failures"])
        open_until = 0.0
        if failures >= threshold:
            open_until = now + open_seconds
            self._db.update_item(
                TableName=self._table,
                Key=_item({"partner": partner}),
                UpdateExpression="SET open_until = :until",
                ExpressionAttributeValues=_item({":until": _number(open_until)}),
            )
        return EndpointState("", failures, open_until)

    def disable(self, partner: str, reason: str) -> None:
        self._db.update_item(
            TableName=self._table,
            Key=_item({"partner": partner}),
            UpdateExpression="SET disabled = :reason",
            ExpressionAttributeValues=_item({":reason": reason}),
        )

    def enable(self, partner: str) -> None:
        self._db.update_item(
            TableName=self._table,
            Key=_item({"partner": partner}),
            UpdateExpression="REMOVE disabled SET failures = :zero, open_until = :zero",
            ExpressionAttributeValues=_item({":zero": 0}),
        )


# -- rate limits ---------------------------------------------------------------------------------------


class RateLimits(Protocol):
    def take(self, bucket: str, rate: float, burst: int, now: float) -> float: ...
    def count(self, key: str, limit: int, now: float) -> float: ...


class DynamoLimits:
    """Token buckets (per provider) and hourly counters (per recipient), shared by every instance."""

    def __init__(self, dynamodb: Any, table: str):
        self._db = dynamodb
        self._table = table

    def take(self, bucket: str, rate: float, burst: int, now: float) -> float:
        """Take one token; 0 when taken, else the seconds until one is free (nothing taken)."""
        for _ in range(8):  # optimistic: re-read when another instance moved the bucket first
            item = self._db.get_item(
                TableName=self._table, Key=_item({"pk": bucket}), ConsistentRead=True
            ).get("Item")
            plain = _plain(item) if item else {}
            elapsed = max(0.0, now - float(plain.get("at", now)))  # stored times are rounded to the ms
            tokens = min(float(burst), float(plain.get("tokens", burst)) + elapsed * rate)
            if tokens < 1:
                return (1 - tokens) / rate
            condition = "attribute_not_exists(pk)" if not item else "#at = :seen"
            try:
                self._db.put_item(
                    TableName=self._table,
                    Item=_item(
                        {
                            "pk": bucket,
                            "tokens": _number(tokens - 1),
                            "at": _number(now),
                            "expires_at": int(now) + DAY,
                        }
                    ),
                    ConditionExpression=condition,
                    **(
                        {
                            "ExpressionAttributeNames": {"#at": "at"},
                            "ExpressionAttributeValues": _item({":seen": plain["at"]}),
                        }
                        if item
                        else {}
                    ),
                )
                return 0.0
            except ClientError as exc:
                if not _conditional_failed(exc):
                    raise
        return 1.0 / rate

    def count(self, key: str, limit: int, now: float) -> float:
        """Count one send to a recipient this hour; 0 when under the limit, else the seconds to the next hour."""
        hour = int(now // 3600)
        try:
            self._db.update_item(
                TableName=self._table,
                Key=_item({"pk": f"{key}#{hour}"}),
                UpdateExpression="ADD sent :one SET expires_at = :expires",
                ConditionExpression="attribute_not_exists(sent) OR sent < :limit",
                ExpressionAttributeValues=_item({":one": 1, ":limit": limit, ":expires": (hour + 2) * 3600}),
            )
            return 0.0
        except ClientError as exc:
            if _conditional_failed(exc):
                return (hour + 1) * 3600 - now
            raise


# -- the inbox ------------------------------------------------------------------------------------------


class InboxStore(Protocol):
    def put(
        self, customer_id: str, entry: dict[str, Any], created_at: datetime, retention_days: int
    ) -> bool: ...


class DynamoInbox:
    """A customer's in-app notifications: sort key `<created_at>#<notification_id>`, newest first."""

    def __init__(self, dynamodb: Any, table: str):
        self._db = dynamodb
        self._table = table

    def put(self, customer_id: str, entry: dict[str, Any], created_at: datetime, retention_days: int) -> bool:
        """Store once per notification (a retry finds it there); False when it was already stored."""
        sort_key = f"{created_at.isoformat()}#{entry['notification_id']}"
        try:
            self._db.put_item(
                TableName=self._table,
                Item=_item(
                    {
                        "customer_id": customer_id,
                        "sk": sort_key,
                        **entry,
                        "created_at": created_at.isoformat(),
                        "expires_at": int(created_at.timestamp()) + retention_days * DAY,
                    }
                ),
                ConditionExpression="attribute_not_exists(sk)",
            )
            return True
        except ClientError as exc:
            if _conditional_failed(exc):
                return False
            raise

    def page(
        self, customer_id: str, limit: int, after: str | None = None, unread_only: bool = False
    ) -> tuple[list[dict[str, Any]], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "customer_id = :c",
            "ExpressionAttributeValues": _item({":c": customer_id}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if unread_only:
            request["FilterExpression"] = "attribute_not_exists(read_at)"
        if after:
            request["ExclusiveStartKey"] = _item({"customer_id": customer_id, "sk": after})
        answer = self._db.query(**request)
        items = [_plain(i) for i in answer.get("Items", [])]
        last = answer.get("LastEvaluatedKey")
        return items, (_plain(last)["sk"] if last else None)

    def unread(self, customer_id: str) -> int:
        answer = self._db.query(
            TableName=self._table,
            KeyConditionExpression="customer_id = :c",
            FilterExpression="attribute_not_exists(read_at)",
            ExpressionAttributeValues=_item({":c": customer_id}),
            Select="COUNT",
        )
        return int(answer.get("Count", 0))

    def mark_read(self, customer_id: str, sort_key: str, at: datetime) -> dict[str, Any] | None:
        """Mark one entry read (the first time only counts); None when the customer has no such entry."""
        try:
            answer = self._db.update_item(
                TableName=self._table,
                Key=_item({"customer_id": customer_id, "sk": sort_key}),
                UpdateExpression="SET read_at = if_not_exists(read_at, :at)",
                ConditionExpression="attribute_exists(sk)",
                ExpressionAttributeValues=_item({":at": at.isoformat()}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return _plain(answer["Attributes"])
