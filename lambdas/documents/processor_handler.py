"""documents-processor: its S3-notification queue (inbox/ of its bucket) -> one document at a time.

A module-level BatchProcessor over SQS; each message is an S3 event notification. A message whose
document fails for a reason that retrying can cure (S3, DynamoDB or the ingest API unavailable) is
reported alone and comes back; a file that is bad is not an error: it is rejected with its reason.
`document_processor()` builds the service once per execution environment; tests replace it.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.documents.classify import DocumentClassifier
from lambdas.documents.language import LanguageDetector
from lambdas.documents.ocr import OcrEngine, TesseractOcr, TextractOcr
from lambdas.documents.processing import DocumentProcessor, objects_in_notification
from lambdas.documents.search_backend import search_index
from lambdas.documents.settings import ProcessorSettings, contract_limits
from lambdas.documents.storage import DocumentStorage
from lambdas.documents.store import DynamoDocumentStore
from platform_core.aws import client
from platform_core.dependencies import Provider
from platform_core.observability import MetricUnit, logger, metrics, tracer
from platform_core.producer import EventProducer

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@Provider
def document_processor() -> DocumentProcessor:
    settings = ProcessorSettings()  # type: ignore[call-arg]  # read from the environment
    s3 = client("s3")
    ocr: OcrEngine = (
        TextractOcr(client("textract"))
        if settings.ocr_engine == "textract"
        else TesseractOcr(settings.tessdata_prefix, settings.ocr_languages)
    )
    return DocumentProcessor(
        store=DynamoDocumentStore(
            client("dynamodb"), settings.table_documents, settings.table_document_hashes
        ),
        storage=DocumentStorage(s3, settings.bucket_documents),
        index=search_index(settings, s3),
        emitter=EventProducer.from_secret(settings.platform_api_url, settings.platform_api_key_secret),
        ocr=ocr,
        languages=LanguageDetector(tuple(settings.languages.split(","))),
        classifier=DocumentClassifier.load(settings.review_threshold),
        limits=contract_limits(),
    )


def record_handler(record: SQSRecord) -> None:
    for obj in objects_in_notification(json.loads(record.body)):
        outcome = document_processor().handle(obj)
        metrics.add_metric(name="DocumentsHandled", unit=MetricUnit.Count, value=1)
        logger.info("document handled", extra={"key": obj.key, "size": obj.size, "outcome": outcome})


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
