"""The document service on the local AWS endpoint, driven as its triggers drive it.

Creates what the two declarations ask for (the processor's tables and bucket, the bucket's
notification to the processor's queue, the documents team's API-key secret), gives each handler the
environment Terraform gives its function, and invokes the handlers in-process: the API with API
Gateway's REST proxy events, the processor with the real SQS messages S3 put on its queue. Uploads
go over HTTP to the presigned POST, as a client's would. Used by the demo step and the integration
tests until the local runtime runs declared services by itself.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests

from lambdas.documents import api_handler, processor_handler
from local_platform.gateway import ApiKey, rest_proxy_event
from platform_core import naming
from platform_core.aws import client
from platform_core.config import BucketTrigger, PlatformConfig
from platform_core.lambda_context import LocalLambdaContext

API = "documents-api"
PROCESSOR = "documents-processor"


@dataclass
class LocalDocumentService:
    config: PlatformConfig
    env: str
    gateway_url: str
    api_keys: Mapping[str, ApiKey]
    bucket: str = ""
    queue_url: str = ""

    def provision(self) -> dict[str, str]:
        """Create the declared resources; the functions' environment (as the contract names it)."""
        project, processor = self.config.project, self.config.services[PROCESSOR]
        team = processor.team
        dynamodb, s3, sqs = client("dynamodb"), client("s3"), client("sqs")
        tables: dict[str, str] = {}
        for short, table in processor.tables.items():
            name = naming.service_table(project, self.env, team, short)
            keys = [(table.hash_key, "HASH")] + ([(table.range_key, "RANGE")] if table.range_key else [])
            dynamodb.create_table(
                TableName=name,
                BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": n, "KeyType": t} for n, t in keys],
                AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n, _ in keys],
            )
            tables[naming.env_var_suffix(short)] = name
        assert isinstance(processor.trigger, BucketTrigger)
        self.bucket = naming.service_bucket(project, self.env, team, processor.trigger.bucket)
        s3.create_bucket(
            Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": self.config.region}
        )
        self.queue_url = sqs.create_queue(QueueName=naming.service_queue(project, self.env, team, PROCESSOR))[
            "QueueUrl"
        ]
        arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        s3.put_bucket_notification_configuration(
            Bucket=self.bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": arn,
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {
                            "Key": {"FilterRules": [{"Name": "prefix", "Value": processor.trigger.prefix}]}
                        },
                    }
                ]
            },
        )
        secret = naming.team_api_key_secret(project, self.env, team)
        secrets = client("secretsmanager")
        # The local platform may have made it already (services that emit need it).
        with contextlib.suppress(secrets.exceptions.ResourceExistsException):
            secrets.create_secret(Name=secret, SecretString=self.api_keys[team].value)
        return {
            "PLATFORM_ENV": self.env,
            "POWERTOOLS_METRICS_NAMESPACE": project,
            "TEAM": team,
            **{f"TABLE_{suffix}": name for suffix, name in tables.items()},
            f"BUCKET_{naming.env_var_suffix(processor.trigger.bucket)}": self.bucket,
            "PLATFORM_API_URL": self.gateway_url,
            "PLATFORM_API_KEY_SECRET": secret,
            "API_KEY_TEAMS": json.dumps({k.key_id: k.team for k in self.api_keys.values()}),
        }

    def api(
        self,
        method: str,
        resource: str,
        path: str,
        team: str,
        body: Any = None,
        query: str = "",
        **params: str,
    ) -> tuple[int, dict[str, Any]]:
        """One request to documents-api, as API Gateway hands it to the function."""
        event = rest_proxy_event(
            method,
            resource,
            path,
            key=self.api_keys[team],
            headers=[("Content-Type", "application/json")],
            body=json.dumps(body).encode() if body is not None else b"",
            path_params=params or None,
            query=query,
        )
        result = api_handler.lambda_handler(event, LocalLambdaContext(API, self.config.region))
        return int(result["statusCode"]), json.loads(result["body"])

    def upload(
        self, team: str, data: bytes, content_type: str, file_name: str, **extra: Any
    ) -> tuple[int, dict[str, Any]]:
        """POST /v1/documents, then the file to the presigned POST over HTTP (as a client does)."""
        body = {"file_name": file_name, "content_type": content_type, **extra}
        status, created = self.api("POST", "/v1/documents", "/v1/documents", team, body)
        if status != 201:
            return status, created
        upload = created["upload"]
        response = requests.post(
            upload["url"], data=upload["fields"], files={"file": (file_name, data, content_type)}, timeout=120
        )
        if response.status_code not in (200, 201, 204):
            raise RuntimeError(f"S3 refused the upload: {response.status_code} {response.text[:300]}")
        return status, created

    def document(self, team: str, document_id: str) -> tuple[int, dict[str, Any]]:
        return self.api(
            "GET",
            "/v1/documents/{document_id}",
            f"/v1/documents/{document_id}",
            team,
            document_id=document_id,
        )

    def search(self, team: str, query: str) -> tuple[int, dict[str, Any]]:
        return self.api("GET", "/v1/documents/search", "/v1/documents/search", team, query=query)

    def process_inbox(self) -> list[str]:
        """Every message on the processor's queue through its handler, one per invocation (its batch size);
        the ids of the messages the handler reported as failed (they stay on the queue)."""
        sqs = client("sqs")
        failed: list[str] = []
        while True:
            messages = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=1, AttributeNames=["All"]
            ).get("Messages", [])
            if not messages:
                return failed
            event = {"Records": [_lambda_record(m, self.config.region) for m in messages]}
            result = processor_handler.lambda_handler(
                event, LocalLambdaContext(PROCESSOR, self.config.region)
            )
            failures = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            failed.extend(failures)
            for message in messages:
                if message["MessageId"] not in failures:
                    sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def _lambda_record(message: dict[str, Any], region: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{region}:000000000000:{PROCESSOR}-inbox",
        "awsRegion": region,
    }


@contextmanager
def handler_environment(environment: Mapping[str, str]) -> Iterator[None]:
    """The functions' environment for the in-process handlers, and fresh services built from it."""
    import os

    from platform_core.observability import metrics

    saved = {name: os.environ.get(name) for name in environment}
    saved_namespace = metrics.provider.namespace
    os.environ.update(environment)
    # Powertools read the namespace at import (a Lambda cold start); here the module was imported first.
    metrics.provider.namespace = environment["POWERTOOLS_METRICS_NAMESPACE"]
    api_handler.documents_api.cache_clear()
    processor_handler.document_processor.cache_clear()
    try:
        yield
    finally:
        api_handler.documents_api.cache_clear()
        processor_handler.document_processor.cache_clear()
        metrics.provider.namespace = saved_namespace
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
