"""Event source mappings played locally: the DynamoDB stream poller and the SQS poller.

Both invoke the real handler functions with the event shapes Lambda sends,
and apply the mapping semantics AWS documents (batching, filters, partial
batch responses, bisect, retries, on-failure destination, visibility timeout
and the queue's redrive policy).
"""

from local_platform.pollers.sqs import SqsMapping, SqsPoller
from local_platform.pollers.stream import StreamMapping, StreamPoller
from platform_core.lambda_context import LocalLambdaContext

__all__ = ["LocalLambdaContext", "SqsMapping", "SqsPoller", "StreamMapping", "StreamPoller"]
