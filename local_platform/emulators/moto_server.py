"""The moto server, with DynamoDB's item writes and transactions serialized as DynamoDB serializes them.

moto's TransactWriteItems applies its items one by one and, when one fails, puts back deep
copies of the whole tables taken when it started: under concurrent requests (the server is
threaded) a failed transaction erases what others wrote meanwhile, and a read can see half a
transaction. DynamoDB documents the opposite (transactions are serializable against other
writes, and reads see committed data only), and the invoice numbering relies on it. One lock
around every item read and write of the DynamoDB backend restores those semantics; the rest of
moto is untouched. Run as `python -m local_platform.emulators.moto_server` with moto's own
arguments.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

# Reentrant: a transaction calls the backend's own put_item/update_item/delete_item.
_ITEMS = threading.RLock()
SERIALIZED = ("put_item", "update_item", "delete_item", "get_item", "query", "scan", "transact_write_items")


def _serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _ITEMS:
            return method(*args, **kwargs)

    return locked


def serialize_dynamodb() -> None:
    for name in SERIALIZED:
        method = getattr(DynamoDBBackend, name)
        if not getattr(method, "__serialized__", False):
            wrapped = _serialized(method)
            wrapped.__serialized__ = True  # type: ignore[attr-defined]
            setattr(DynamoDBBackend, name, wrapped)


def main() -> None:
    from moto.server import main as moto_main

    serialize_dynamodb()
    moto_main()


if __name__ == "__main__":
    main()
