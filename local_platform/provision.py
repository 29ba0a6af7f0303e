"""Create one environment's AWS resources on the local endpoint, idempotently.

This is the local stand-in for `terraform apply`: the same resources, read
from the same configuration, with the settings Terraform gives them (stream
NEW_IMAGE, TTL, DLQ redrive, ...), and for every declared service what its
declaration asks for: its tables (keys, TTL, stream), its buckets (versioning,
Object Lock with a default retention, expiration), its secrets (empty, as
Terraform creates them), the queue and DLQ an `s3` trigger's notifications
feed. Running it twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from platform_core import naming
from platform_core.aws import client
from platform_core.config import BucketTrigger, ServiceBucket, StateTable
from platform_core.events_table import PK, TTL_ATTRIBUTE
from platform_core.resources import Resources


def provision(resources: Resources) -> None:
    _create_table(resources.events_table, PK, ttl_attribute=TTL_ATTRIBUTE, stream="NEW_IMAGE")
    for bucket in resources.buckets:
        _create_bucket(bucket)
    sqs = resources.config.sqs
    for queue, dlq in resources.queues_with_dlq():
        _create_queue_with_dlq(resources, queue, dlq)
    _create_queue(resources.fanout_failure_queue, {"MessageRetentionPeriod": str(sqs.dlq_retention_seconds)})
    for team in resources.config.teams:
        _create_workgroup(resources, team)
    for name in resources.config.services:
        provision_service(resources, name)
    for name, service in resources.config.services.items():
        if service.mail is not None and service.mail.feedback:
            route_mail_feedback(resources, name)


def _create_workgroup(resources: Resources, team: str) -> None:
    """A team's Athena workgroup (the local endpoint's Athena runs no SQL: a function that queries the
    lake there gets empty results, as from a lake before its first run)."""
    try:
        client("athena").create_work_group(
            Name=naming.team_workgroup(resources.project, resources.env, team),
            Configuration={
                "ResultConfiguration": {"OutputLocation": f"s3://{resources.athena_results_bucket}/{team}/"}
            },
        )
    except ClientError as exc:
        if "already exists" not in str(exc):
            raise


def provision_service(resources: Resources, name: str) -> None:
    """What one declared service owns: tables, buckets, and for an `s3` trigger its inbox queue + DLQ."""
    service = resources.service(name)
    for short, table in resources.service_tables(name).items():
        _create_service_table(table, service.tables[short])
    for short, bucket in resources.service_buckets(name).items():
        _create_service_bucket(bucket, service.buckets[short])
    for secret in resources.service_secrets(name).values():
        _create_secret(secret)
    trigger = service.trigger
    if isinstance(trigger, BucketTrigger):
        queue_url_ = _create_queue_with_dlq(
            resources, resources.service_queue(name), resources.service_dlq(name)
        )
        _notify_queue(resources.service_buckets(name)[trigger.bucket], queue_arn(queue_url_), trigger)


def route_mail_feedback(resources: Resources, name: str) -> None:
    """SES's events about a service's mail (its configuration set) to its team's queue: an EventBridge
    rule on the default bus, as Terraform makes it (the local mail sink publishes SES's events there)."""
    service = resources.service(name)
    configuration_set = naming.service_mail_configuration_set(
        resources.project, resources.env, service.team, name
    )
    events = client("events")
    rule = f"{resources.function_name(name)}-mail-feedback"
    pattern = {
        "source": ["aws.ses"],
        "detail": {"mail": {"tags": {"ses:configuration-set": [configuration_set]}}},
    }
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern), State="ENABLED")
    target = queue_arn(queue_url(resources.team_queue(service.team)))
    events.put_targets(Rule=rule, Targets=[{"Id": "team-queue", "Arn": target}])


def provision_api_key_secrets(resources: Resources, api_keys: Mapping[str, str]) -> None:
    """The team API-key secret of every team that has a service emitting events (team -> key value)."""
    teams = sorted({s.team for s in resources.config.services.values() if s.emits})
    for team in teams:
        put_secret(resources.team_api_key_secret(team), api_keys[team])


def put_secret(name: str, value: str) -> None:
    """Create the secret with this value, or give it this value (a new local platform has new keys)."""
    secrets = client("secretsmanager")
    try:
        secrets.create_secret(Name=name, SecretString=value)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceExistsException":
            raise
        secrets.put_secret_value(SecretId=name, SecretString=value)


def _create_secret(name: str) -> None:
    """A declared secret, without a value (Terraform creates it empty; its value is set out of band)."""
    try:
        client("secretsmanager").create_secret(Name=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceExistsException":
            raise


def queue_url(name: str) -> str:
    return str(client("sqs").get_queue_url(QueueName=name)["QueueUrl"])


def queue_arn(url: str) -> str:
    attrs = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attrs["Attributes"]["QueueArn"])


def stream_arn(resources: Resources) -> str:
    return table_stream_arn(resources.events_table)


def table_stream_arn(table: str) -> str:
    description = client("dynamodb").describe_table(TableName=table)["Table"]
    return str(description["LatestStreamArn"])


# -- tables -------------------------------------------------------------------------------------


def _create_table(
    name: str,
    hash_key: str,
    *,
    range_key: str | None = None,
    ttl_attribute: str | None = None,
    stream: str | None = None,
) -> None:
    dynamodb = client("dynamodb")
    keys = [(hash_key, "HASH")] + ([(range_key, "RANGE")] if range_key else [])
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
        "KeySchema": [{"AttributeName": k, "KeyType": kind} for k, kind in keys],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if stream:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
    try:
        dynamodb.create_table(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
    dynamodb.get_waiter("table_exists").wait(TableName=name)
    if ttl_attribute:
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute}
            )


def _create_service_table(name: str, table: StateTable) -> None:
    # Key attributes are strings, as in the Terraform module (attribute type S).
    _create_table(
        name,
        table.hash_key,
        range_key=table.range_key,
        ttl_attribute=table.ttl_attribute,
        stream=table.stream,
    )


# -- buckets ------------------------------------------------------------------------------------


def _create_bucket(name: str, *, object_lock: bool = False) -> None:
    s3 = client("s3")
    region = s3.meta.region_name
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    if object_lock:
        kwargs["ObjectLockEnabledForBucket"] = True  # only at creation, as on AWS
    try:
        s3.create_bucket(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def _create_service_bucket(name: str, bucket: ServiceBucket) -> None:
    s3 = client("s3")
    _create_bucket(name, object_lock=bucket.object_lock_days is not None)
    if bucket.object_lock_days is not None:
        s3.put_object_lock_configuration(
            Bucket=name,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": bucket.object_lock_days}},
            },
        )
    rules = _lifecycle_rules(bucket)
    if rules:
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})


def _lifecycle_rules(bucket: ServiceBucket) -> list[dict[str, Any]]:
    """The bucket's expiration and its per-prefix rules, as S3 lifecycle rules."""
    rules: list[dict[str, Any]] = []
    if bucket.expiration_days is not None:
        rules.append(
            {
                "ID": "expire",
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "Expiration": {"Days": bucket.expiration_days},
                "NoncurrentVersionExpiration": {"NoncurrentDays": bucket.expiration_days},
            }
        )
    for number, rule in enumerate(bucket.lifecycle):
        entry: dict[str, Any] = {
            "ID": f"prefix-{number}",
            "Status": "Enabled",
            "Filter": {"Prefix": rule.prefix},
        }
        if rule.expiration_days is not None:
            entry["Expiration"] = {"Days": rule.expiration_days}
        if rule.transition_ia_days is not None:
            entry["Transitions"] = [{"Days": rule.transition_ia_days, "StorageClass": "STANDARD_IA"}]
        if rule.noncurrent_expiration_days is not None:
            entry["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule.noncurrent_expiration_days}
        rules.append(entry)
    return rules


def _notify_queue(bucket: str, queue: str, trigger: BucketTrigger) -> None:
    """ObjectCreated events under the trigger's prefix/suffix go to the service's queue."""
    rules = [
        {"Name": "prefix", "Value": trigger.prefix} if trigger.prefix else None,
        {"Name": "suffix", "Value": trigger.suffix} if trigger.suffix else None,
    ]
    configuration: dict[str, Any] = {"QueueArn": queue, "Events": ["s3:ObjectCreated:*"]}
    if any(rules):
        configuration["Filter"] = {"Key": {"FilterRules": [r for r in rules if r]}}
    client("s3").put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [configuration]}
    )


# -- queues -------------------------------------------------------------------------------------


def _create_queue_with_dlq(resources: Resources, queue: str, dlq: str) -> str:
    sqs = resources.config.sqs
    dlq_url = _create_queue(dlq, {"MessageRetentionPeriod": str(sqs.dlq_retention_seconds)})
    return _create_queue(
        queue,
        {
            "VisibilityTimeout": str(sqs.visibility_timeout_seconds),
            "MessageRetentionPeriod": str(sqs.message_retention_seconds),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": queue_arn(dlq_url), "maxReceiveCount": sqs.max_receive_count}
            ),
        },
    )


def _create_queue(name: str, attributes: dict[str, str]) -> str:
    return str(client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])
