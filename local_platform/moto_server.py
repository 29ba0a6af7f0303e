"""The moto server the local platform starts, with DynamoDB's atomic writes.

DynamoDB applies each write, its condition included, atomically: two
concurrent `PutItem ... attribute_not_exists(pk)` of one key make one item
and one failed condition. moto's server handles requests in threads and checks
a condition, then writes, with nothing between the two: concurrent copies of
one write may both pass. The platform's idempotency rests on that guarantee
(one item, one stream INSERT per (team, event_id)), so this server applies
DynamoDB's write operations one at a time; everything else stays concurrent.

    python -m local_platform.moto_server -H 127.0.0.1 -p <port>
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

# X-Amz-Target of the DynamoDB operations that write (and so may carry a condition).
WRITES = frozenset(
    f"DynamoDB_20120810.{operation}"
    for operation in (
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "BatchWriteItem",
        "TransactWriteItems",
        "ExecuteStatement",
        "BatchExecuteStatement",
        "ExecuteTransaction",
    )
)


class AtomicDynamoDBWrites:
    """WSGI middleware: DynamoDB writes run one at a time (the whole response inside the lock)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET") not in WRITES:
            return self._app(environ, start_response)
        with self._lock:
            result = self._app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local_platform.moto_server")
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # type: ignore[attr-defined]
    run_simple(
        args.host, args.port, AtomicDynamoDBWrites(app), threaded=True, request_handler=MotoRequestHandler
    )


if __name__ == "__main__":
    main()
