"""The moto server, with DynamoDB's item writes and transactions serialized as DynamoDB serializes them,
and CloudWatch's GetMetricData kept to each query's namespace.

moto's TransactWriteItems applies its items one by one and, when one fails, puts back deep
copies of the whole tables taken when it started: under concurrent requests (the server is
threaded) a failed transaction erases what others wrote meanwhile, and a read can see half a
transaction. DynamoDB documents the opposite (transactions are serializable against other
writes, and reads see committed data only), and the invoice numbering relies on it. One lock
around every item read and write of the DynamoDB backend restores those semantics; the rest of
moto is untouched but for one CloudWatch bug: GetMetricData drops a query's namespace when the
query names dimensions, so two platforms (or two tests) on one server sum each other's metrics of
the same name and dimensions. Run as `python -m local_platform.emulators.moto_server` with moto's
own arguments.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.cloudwatch.models import CloudWatchBackend
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


_QUERY = threading.local()  # the namespace of the GetMetricData call this thread answers


def _metric_data_of_the_query_namespace(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def get_metric_data(
        self: CloudWatchBackend, queries: list[dict[str, Any]], *args: Any, **kwargs: Any
    ) -> Any:
        namespaces = {q["MetricStat"]["Metric"]["Namespace"] for q in queries if "MetricStat" in q}
        # One namespace (what the console asks): the data it reads is that namespace's only.
        _QUERY.namespace = next(iter(namespaces)) if len(namespaces) == 1 else None
        try:
            return method(self, queries, *args, **kwargs)
        finally:
            _QUERY.namespace = None

    return get_metric_data


def _all_metrics_of_the_query_namespace(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def get_all_metrics(self: CloudWatchBackend) -> Any:
        metrics = method(self)
        namespace = getattr(_QUERY, "namespace", None)
        return metrics if namespace is None else [m for m in metrics if m.namespace == namespace]

    return get_all_metrics


def scope_metric_queries() -> None:
    if not getattr(CloudWatchBackend.get_metric_data, "__scoped__", False):
        get_metric_data = _metric_data_of_the_query_namespace(CloudWatchBackend.get_metric_data)
        get_metric_data.__scoped__ = True  # type: ignore[attr-defined]
        CloudWatchBackend.get_metric_data = get_metric_data  # type: ignore[method-assign]
        CloudWatchBackend.get_all_metrics = _all_metrics_of_the_query_namespace(  # type: ignore[method-assign]
            CloudWatchBackend.get_all_metrics
        )


def main() -> None:
    from moto.server import main as moto_main

    serialize_dynamodb()
    scope_metric_queries()
    moto_main()


if __name__ == "__main__":
    main()
