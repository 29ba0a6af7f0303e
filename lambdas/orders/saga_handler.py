"""The order saga's Lambda: the orders team's queue (batches of 10) -> one event at a time -> the saga.

A message whose order must wait (the ERP is down and its breaker open, the
retries are spent, the ingest API is unavailable, another invocation holds
the order) is put back on the queue with a delay and acknowledged: it waits
in the queue without using up its receive count, so an outage of hours does
not send orders to the DLQ; it comes back when the breaker may have closed.
A message that is not an event, or one the platform refuses to take back,
fails and reaches the DLQ through the queue's redrive policy.
"""

from __future__ import annotations

from typing import Any

import urllib3
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.orders.breaker import BreakerPolicy, CircuitBreaker, DynamoBreakerStore
from lambdas.orders.consumer import OrderEvents
from lambdas.orders.erp.odoo import OdooErp
from lambdas.orders.erp.port import ErpAccessDenied, ErpUnavailable
from lambdas.orders.erp.transports import Json2Transport, JsonRpcTransport, OdooTransport
from lambdas.orders.resilience import Dependency, RetryPolicy
from lambdas.orders.runner import Deferred, SagaPorts, SagaRunner
from lambdas.orders.settings import SagaSettings, SecretReader
from lambdas.orders.store import DynamoOrderStore
from lambdas.orders.wms.openwms import OpenWms
from lambdas.orders.wms.port import WarehouseUnavailable
from platform_core.aws import client
from platform_core.config import get_config
from platform_core.dependencies import Provider
from platform_core.observability import MetricUnit, logger, metrics, sqs_correlation_id, tracer
from platform_core.producer import EventProducer
from platform_core.redelivery import Redelivery

processor = BatchProcessor(event_type=EventType.SQS)


def erp_transport(config: dict[str, Any], timeout_seconds: float) -> OdooTransport:
    timeout = urllib3.Timeout(connect=3.0, read=timeout_seconds)
    if config.get("transport", "json2") == "jsonrpc":
        return JsonRpcTransport(
            config["url"], config["database"], config["login"], config["api_key"], timeout=timeout
        )
    return Json2Transport(config["url"], config["api_key"], database=config.get("database"), timeout=timeout)


@Provider
def order_events() -> OrderEvents:
    """Built once per execution environment (the cold start); tests replace it with `order_events.overridden(...)`."""
    settings = SagaSettings()  # type: ignore[call-arg]  # read from the environment
    secrets = SecretReader()
    dynamodb = client("dynamodb")
    erp_config = secrets.json(settings.secret_erp)
    if erp_config is None:
        raise RuntimeError(f"the ERP secret {settings.secret_erp} has no value: set its url and api_key")
    breakers = DynamoBreakerStore(dynamodb, settings.table_breakers)
    policy = BreakerPolicy(
        failure_threshold=settings.breaker_failures,
        window_seconds=settings.breaker_window_seconds,
        open_seconds=settings.breaker_open_seconds,
    )
    retries = RetryPolicy(attempts=settings.erp_attempts)
    ports = SagaPorts(
        store=DynamoOrderStore(dynamodb, settings.table_orders),
        erp=OdooErp(erp_transport(erp_config, settings.erp_timeout_seconds)),
        erp_calls=Dependency(
            CircuitBreaker(breakers, "erp", policy), (ErpUnavailable,), (ErpAccessDenied,), retries
        ),
        emitter=EventProducer.from_secret(settings.platform_api_url, settings.platform_api_key_secret),
    )
    wms_config = secrets.json(settings.secret_wms) if settings.secret_wms else None
    if wms_config:
        ports.warehouse = OpenWms(
            wms_config["url"], wms_config["token"], location_group=wms_config.get("location_group", "STOCK")
        )
        ports.warehouse_calls = Dependency(
            CircuitBreaker(breakers, "wms", policy), (WarehouseUnavailable,), (), retries
        )
    return OrderEvents(
        ports.store,
        SagaRunner(ports, defer_seconds=settings.defer_seconds, seller_entity=settings.seller_entity),
    )


@Provider
def redelivery() -> Redelivery:
    return Redelivery(client("sqs"), get_config().sqs.message_retention_seconds)


def record_handler(record: SQSRecord) -> None:
    logger.set_correlation_id(sqs_correlation_id(record.raw_event))
    try:
        outcome = order_events().handle(record.body)
    except Deferred as deferred:
        delay = redelivery().later(record.raw_event, deferred.delay_seconds)
        metrics.add_metric(name="OrderEventsDeferred", unit=MetricUnit.Count, value=1)
        logger.info(
            "order deferred",
            extra={"message_id": record.message_id, "reason": deferred.reason, "delay": delay},
        )
        return
    metrics.add_metric(name="OrderEventsHandled", unit=MetricUnit.Count, value=1)
    if outcome in ("confirmed", "rejected"):
        metrics.add_metric(name=f"Orders{outcome.title()}", unit=MetricUnit.Count, value=1)
    logger.info("order event handled", extra={"message_id": record.message_id, "outcome": outcome})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
