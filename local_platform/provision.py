"""Create one environment's AWS resources on the local endpoint, idempotently.

This is the local stand-in for `terraform apply`: the same resources, read
from the same configuration, with the settings Terraform gives them (stream
NEW_IMAGE, TTL, DLQ redrive, ...). Running it twice changes nothing.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from platform_core.aws import client
from platform_core.events_table import PK, TTL_ATTRIBUTE
from platform_core.resources import Resources


def provision(resources: Resources) -> None:
    _create_table(resources)
    for bucket in resources.buckets:
        _create_bucket(bucket)
    sqs = resources.config.sqs
    for queue, dlq in resources.queues_with_dlq():
        dlq_url = _create_queue(dlq, {"MessageRetentionPeriod": str(sqs.dlq_retention_seconds)})
        dlq_arn = queue_arn(dlq_url)
        _create_queue(
            queue,
            {
                "VisibilityTimeout": str(sqs.visibility_timeout_seconds),
                "MessageRetentionPeriod": str(sqs.message_retention_seconds),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": sqs.max_receive_count}
                ),
            },
        )
    _create_queue(resources.fanout_failure_queue, {"MessageRetentionPeriod": str(sqs.dlq_retention_seconds)})
    _create_orders_table(resources.orders_table)


def queue_url(name: str) -> str:
    return str(client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


def queue_arn(url: str) -> str:
    attrs = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attrs["Attributes"]["QueueArn"])


def _create_table(resources: Resources) -> None:
    dynamodb = client("dynamodb")
    try:
        dynamodb.create_table(
            TableName=resources.events_table,
            AttributeDefinitions=[{"AttributeName": PK, "AttributeType": "S"}],
            KeySchema=[{"AttributeName": PK, "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
    dynamodb.get_waiter("table_exists").wait(TableName=resources.events_table)
    ttl = dynamodb.describe_time_to_live(TableName=resources.events_table)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        dynamodb.update_time_to_live(
            TableName=resources.events_table,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )


def _create_orders_table(name: str) -> None:
    """The orders team's order processor state (one item per order)."""
    dynamodb = client("dynamodb")
    try:
        dynamodb.create_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
    dynamodb.get_waiter("table_exists").wait(TableName=name)


def _create_bucket(name: str) -> None:
    s3 = client("s3")
    region = s3.meta.region_name
    kwargs: dict[str, object] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def _create_queue(name: str, attributes: dict[str, str]) -> str:
    return str(client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def stream_arn(resources: Resources) -> str:
    table = client("dynamodb").describe_table(TableName=resources.events_table)["Table"]
    return str(table["LatestStreamArn"])
