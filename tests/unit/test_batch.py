"""WholeBatchProcessor (platform_core/batch.py): work once per batch, then Powertools' partial batch response."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import pytest
from aws_lambda_powertools.utilities.batch import EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.typing import LambdaContext

from platform_core.batch import WholeBatchProcessor, message_id
from platform_core.lambda_context import LocalLambdaContext

# Powertools types the context as its own class; the local one has the same attributes.
CONTEXT = cast(LambdaContext, LocalLambdaContext("t"))


def sqs_record(number: int) -> dict[str, Any]:
    return {
        "messageId": f"m-{number}",
        "receiptHandle": f"r-{number}",
        "body": str(number),
        "attributes": {},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    }


def test_the_work_runs_once_per_batch_and_only_its_failures_are_reported() -> None:
    calls: list[int] = []

    def work(records: Sequence[dict[str, Any]]) -> Mapping[str, str]:
        calls.append(len(records))
        return {r["messageId"]: "odd" for r in records if int(r["body"]) % 2}

    processor = WholeBatchProcessor(EventType.SQS, work, key=message_id)
    event = {"Records": [sqs_record(n) for n in range(4)]}
    response = process_partial_response(
        event=event, record_handler=processor.report, processor=processor, context=CONTEXT
    )
    assert calls == [4]
    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}, {"itemIdentifier": "m-3"}]}
    # The next batch starts clean.
    response = process_partial_response(
        event={"Records": [sqs_record(2)]},
        record_handler=processor.report,
        processor=processor,
        context=CONTEXT,
    )
    assert response == {"batchItemFailures": []}


def test_a_batch_that_failed_entirely_is_a_function_error() -> None:
    processor = WholeBatchProcessor(
        EventType.SQS, lambda records: {r["messageId"]: "down" for r in records}, key=message_id
    )
    with pytest.raises(BatchProcessingError):
        process_partial_response(
            event={"Records": [sqs_record(1), sqs_record(2)]},
            record_handler=processor.report,
            processor=processor,
            context=CONTEXT,
        )
