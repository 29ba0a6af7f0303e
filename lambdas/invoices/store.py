"""Where issued documents and their numbers live: two DynamoDB tables of the service's own.

`counters` holds, per (legal entity, series, year), the last number given and its date;
`invoices` holds one item per document (keyed by what makes a request the same document),
with its number, its complete content, where its PDF is, and its e-mail's send record.

Numbering is one transaction: the counter moves from n to n+1 (on the condition it is still n)
and the document is written with n+1 (on the condition it does not exist yet). Either both
happen or neither, so a crash between numbering and storage cannot lose a number, two workers
cannot take the same one, and a retried request finds its document instead of a second number.
Losers of a race on the counter re-read it and try again (with jittered backoff); a loser on the
document gets the winner's. Dates never go backwards along the series (an invoice numbered after
another is never dated before it).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

from botocore.exceptions import ClientError

from lambdas.invoices.models import Invoice

MailState = Literal["pending", "sending", "sent", "failed", "refused"]
MAX_NUMBERING_ATTEMPTS = 200


class NumberingContended(Exception):
    """The counter kept moving under us: retry the request later."""


@dataclass(frozen=True)
class Series:
    entity: str
    prefix: str
    year: int

    @property
    def key(self) -> str:
        return f"{self.entity}#{self.prefix}#{self.year}"

    def number(self, sequence: int) -> str:
        return f"{self.prefix}-{self.year}-{sequence:06d}"


@dataclass(frozen=True)
class StoredDocument:
    uri: str
    sha256: str
    size_bytes: int
    retain_until: date


@dataclass(frozen=True)
class MailRecord:
    state: MailState
    attempts: int = 0
    message_id: str | None = None
    error: str | None = None
    lease_until: float = 0.0


@dataclass(frozen=True)
class IssuedRecord:
    document_key: str
    invoice: Invoice
    document: StoredDocument | None
    emitted: bool
    mail: MailRecord


# Builds the document once its number and date are known (pure: called again on a lost race).
Build = Callable[[str, datetime, date], Invoice]


class InvoiceStore(Protocol):
    def get(self, document_key: str) -> IssuedRecord | None: ...

    def issue(
        self, document_key: str, series: Series, now: datetime, today: date, build: Build
    ) -> IssuedRecord:
        """The document for this key: the existing one, or a new one numbered in `series`."""
        ...

    def mark_stored(self, document_key: str, document: StoredDocument) -> None: ...

    def mark_emitted(self, document_key: str) -> None: ...

    def begin_mail(self, document_key: str, lease_seconds: float, now: float) -> MailRecord | None:
        """Take the right to send (pending/failed, or a sending whose lease ran out): the new record,
        or None when it is sent, refused, or another worker holds a live lease."""
        ...

    def finish_mail(self, document_key: str, record: MailRecord) -> None: ...


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: float) -> dict[str, str]:
    return {"N": repr(value) if isinstance(value, float) else str(value)}


class DynamoInvoiceStore:
    def __init__(self, dynamodb: Any, invoices_table: str, counters_table: str, *, sleep=time.sleep):
        self._db = dynamodb
        self._invoices = invoices_table
        self._counters = counters_table
        self._sleep = sleep

    def get(self, document_key: str) -> IssuedRecord | None:
        item = self._db.get_item(TableName=self._invoices, Key={"pk": _s(document_key)}, ConsistentRead=True)
        return _record(item["Item"]) if "Item" in item else None

    def issue(
        self, document_key: str, series: Series, now: datetime, today: date, build: Build
    ) -> IssuedRecord:
        for attempt in range(MAX_NUMBERING_ATTEMPTS):
            existing = self.get(document_key)
            if existing is not None:
                return existing
            counter = self._db.get_item(
                TableName=self._counters, Key={"pk": _s(series.key)}, ConsistentRead=True
            ).get("Item")
            last = int(counter["last"]["N"]) if counter else 0
            last_date = date.fromisoformat(counter["last_date"]["S"]) if counter else today
            issue_date = max(today, last_date)
            invoice = build(series.number(last + 1), now, issue_date)
            record = IssuedRecord(document_key, invoice, None, False, MailRecord("pending"))
            counter_update: dict[str, Any] = {
                "TableName": self._counters,
                "Key": {"pk": _s(series.key)},
                "UpdateExpression": "SET #last = :next, last_date = :date, last_document = :doc",
                "ExpressionAttributeNames": {"#last": "last"},
                "ExpressionAttributeValues": {
                    ":next": _n(last + 1),
                    ":date": _s(issue_date.isoformat()),
                    ":doc": _s(document_key),
                },
            }
            if counter:
                counter_update["ConditionExpression"] = "#last = :expected"
                counter_update["ExpressionAttributeValues"][":expected"] = _n(last)
            else:
                counter_update["ConditionExpression"] = "attribute_not_exists(pk)"
            try:
                self._db.transact_write_items(
                    TransactItems=[
                        {"Update": counter_update},
                        {
                            "Put": {
                                "TableName": self._invoices,
                                "Item": _item(record),
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                    ]
                )
                return record
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                # The counter moved, or the document appeared: both are settled by reading again.
                self._sleep(random.uniform(0, min(0.5, 0.005 * 2 ** min(attempt, 7))))
        raise NumberingContended(
            f"series {series.key} stayed contended for {MAX_NUMBERING_ATTEMPTS} attempts"
        )

    def mark_stored(self, document_key: str, document: StoredDocument) -> None:
        self._db.update_item(
            TableName=self._invoices,
            Key={"pk": _s(document_key)},
            UpdateExpression="SET document_uri = :uri, document_sha256 = :sha, document_size = :size, "
            "retain_until = :until",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={
                ":uri": _s(document.uri),
                ":sha": _s(document.sha256),
                ":size": _n(document.size_bytes),
                ":until": _s(document.retain_until.isoformat()),
            },
        )

    def mark_emitted(self, document_key: str) -> None:
        self._db.update_item(
            TableName=self._invoices,
            Key={"pk": _s(document_key)},
            UpdateExpression="SET emitted = :yes",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":yes": {"BOOL": True}},
        )

    def begin_mail(self, document_key: str, lease_seconds: float, now: float) -> MailRecord | None:
        current = self.get(document_key)
        if current is None:
            raise KeyError(document_key)
        mail = current.mail
        if mail.state in ("sent", "refused") or (mail.state == "sending" and mail.lease_until > now):
            return None
        taken = MailRecord("sending", mail.attempts + 1, None, mail.error, now + lease_seconds)
        try:
            self._db.update_item(
                TableName=self._invoices,
                Key={"pk": _s(document_key)},
                UpdateExpression="SET mail_state = :sending, mail_attempts = :attempts, mail_lease_until = :lease",
                # Only one worker moves the record from what it read: the send record is the lock.
                ConditionExpression="mail_attempts = :seen",
                ExpressionAttributeValues={
                    ":sending": _s("sending"),
                    ":attempts": _n(taken.attempts),
                    ":lease": _n(taken.lease_until),
                    ":seen": _n(mail.attempts),
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return None
            raise
        return taken

    def finish_mail(self, document_key: str, record: MailRecord) -> None:
        values: dict[str, Any] = {":state": _s(record.state), ":attempts": _n(record.attempts)}
        expression = "SET mail_state = :state"
        if record.message_id:
            expression += ", mail_message_id = :id"
            values[":id"] = _s(record.message_id)
        if record.error:
            expression += ", mail_error = :error"
            values[":error"] = _s(record.error[:1000])
        self._db.update_item(
            TableName=self._invoices,
            Key={"pk": _s(document_key)},
            UpdateExpression=expression,
            ConditionExpression="mail_attempts = :attempts",
            ExpressionAttributeValues=values,
        )


def _item(record: IssuedRecord) -> dict[str, dict[str, Any]]:
    invoice = record.invoice
    return {
        "pk": _s(record.document_key),
        "number": _s(invoice.number),
        "invoice_id": _s(invoice.invoice_id),
        "document_type": _s(invoice.document_type),
        "order_id": _s(invoice.order_id),
        "issue_date": _s(invoice.issue_date.isoformat()),
        "issued_at": _s(invoice.issued_at.isoformat()),
        "invoice": _s(invoice.model_dump_json()),
        "emitted": {"BOOL": False},
        "mail_state": _s("pending"),
        "mail_attempts": _n(0),
        "mail_lease_until": _n(0),
    }


def _record(item: dict[str, dict[str, Any]]) -> IssuedRecord:
    document = None
    if "document_uri" in item:
        document = StoredDocument(
            uri=item["document_uri"]["S"],
            sha256=item["document_sha256"]["S"],
            size_bytes=int(item["document_size"]["N"]),
            retain_until=date.fromisoformat(item["retain_until"]["S"]),
        )
    return IssuedRecord(
        document_key=item["pk"]["S"],
        invoice=Invoice.model_validate_json(item["invoice"]["S"]),
        document=document,
        emitted=item.get("emitted", {}).get("BOOL", False),
        mail=MailRecord(
            state=item["mail_state"]["S"],
            attempts=int(item["mail_attempts"]["N"]),
            message_id=item.get("mail_message_id", {}).get("S"),
            error=item.get("mail_error", {}).get("S"),
            lease_until=float(item.get("mail_lease_until", {}).get("N", "0")),
        ),
    )
