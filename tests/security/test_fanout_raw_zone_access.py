"""The fan-out's raw-zone path run under the fan-out's own IAM policy, as Terraform writes it.

The policy is `data.aws_iam_policy_document.fanout` of modules/event_fanout/main.tf, read from
the file and filled with this environment's ARNs (iam_policy.policy_document), then put on an
IAM user of a moto server that enforces IAM (see test_team_access.py for what moto checks: the
signature, the action, and the resource for S3). Two things S3 does that moto does not are
applied in front of it, judged by iam_policy.evaluate() on the same document:

- conditions: ListBucket is granted for the `s3:prefix` manifests/fanout/* only;
- a GET of a missing key is answered 404 only to a caller allowed s3:ListBucket on the bucket,
  and 403 AccessDenied to anyone else (S3's documented behaviour). The fan-out's ListBucket
  carries a prefix condition, which a GET does not satisfy, so its role gets 403.

A writer that finds a batch's manifest by its 404 therefore fails every new batch in AWS:
RawZoneWriter lists the manifest's key instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from lambdas.fanout.sinks import MANIFEST_PREFIX, RawZoneWriter
from local_platform.aws_endpoint import MOTO_ACCOUNT_ID
from platform_core.config import ROOT, get_config
from platform_core.envelope import Event
from platform_core.raw_zone import decode_events
from platform_core.resources import Resources
from scripts.terraform.hcl import parse_file
from tests.integration.fanout_support import stored_events
from tests.security.enforcing_moto import ALLOW_EVERYTHING, enforcing_moto_server, error_code
from tests.security.iam_policy import (
    PARTITION,
    Decision,
    Request,
    evaluate,
    kms_key_arn,
    policy_document,
    queue_arn,
)

CONFIG = get_config()
RESOURCES = Resources(CONFIG, "dev", MOTO_ACCOUNT_ID)
REGION = CONFIG.region
BUCKET = RESOURCES.raw_bucket
BUCKET_ARN = f"arn:{PARTITION}:s3:::{BUCKET}"
FANOUT_MODULE = ROOT / "modules" / "event_fanout" / "main.tf"


def fanout_policy() -> dict[str, Any]:
    """The fan-out role's policy document, from main.tf, with this environment's ARNs."""
    (block,) = [
        b
        for b in parse_file(Path(FANOUT_MODULE))
        if b.kind == "data" and b.labels == ("aws_iam_policy_document", "fanout")
    ]
    subscriber_queues = [q for q in (RESOURCES.team_queue(t) for t in CONFIG.sqs_subscriber_teams)]
    return policy_document(
        block.body,
        {
            "var.events_stream_arn": f"arn:{PARTITION}:dynamodb:{REGION}:{MOTO_ACCOUNT_ID}:table/"
            f"{RESOURCES.events_table}/stream/2026-01-01T00:00:00.000",
            "[for q in aws_sqs_queue.main : q.arn]": [
                queue_arn(RESOURCES, name, MOTO_ACCOUNT_ID)
                for name in [*subscriber_queues, RESOURCES.outbox_queue]
            ],
            "aws_sqs_queue.fanout_failures.arn": queue_arn(
                RESOURCES, RESOURCES.fanout_failure_queue, MOTO_ACCOUNT_ID
            ),
            "var.raw_bucket_arn": BUCKET_ARN,
            "var.kms_key_arn": kms_key_arn(REGION, MOTO_ACCOUNT_ID),
        },
    )


class S3AsIamSees:
    """What S3 answers that moto's enforcement leaves out, decided by iam_policy.evaluate().

    Installed on a client through botocore's events: the API parameters are kept at
    before-parameter-build, and at before-call a request S3 would refuse gets S3's 403 instead
    of going to moto.
    """

    def __init__(self, policies: list[dict[str, Any]], admin_s3: Any):
        self._policies = policies
        self._admin = admin_s3

    def install(self, s3: Any) -> Any:
        s3.meta.events.register("before-parameter-build.s3", self._keep_params)
        s3.meta.events.register("before-call.s3", self._decide)
        return s3

    @staticmethod
    def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["api_params"] = dict(params)

    def _may_list(self, bucket: str, **context: str) -> bool:
        decision = evaluate(
            self._policies, Request("s3:ListBucket", f"arn:{PARTITION}:s3:::{bucket}", context)
        )
        return decision is Decision.ALLOW

    def _exists(self, bucket: str, key: str) -> bool:
        listed = self._admin.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        return any(o["Key"] == key for o in listed.get("Contents", []))

    def _decide(
        self, model: Any, context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        params = context.get("api_params", {})
        bucket = params.get("Bucket", "")
        if model.name in ("ListObjectsV2", "ListObjects"):
            prefix = {"s3:prefix": params["Prefix"]} if "Prefix" in params else {}
            if not self._may_list(bucket, **prefix):
                return self._access_denied()
        missing = model.name in ("GetObject", "HeadObject") and not self._exists(bucket, params["Key"])
        if missing and not self._may_list(bucket):
            return self._access_denied()
        return None

    @staticmethod
    def _access_denied() -> tuple[AWSResponse, dict[str, Any]]:
        response = AWSResponse("https://s3.amazonaws.com", 403, HTTPHeaders(), None)
        parsed = {
            "Error": {"Code": "AccessDenied", "Message": "Access Denied"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        }
        return response, parsed


@dataclass
class Clients:
    fanout: Any  # signed by the fan-out's user, S3 as IAM sees it
    admin: Any


@pytest.fixture(scope="module")
def clients() -> Iterator[Clients]:
    """A moto server of its own, enforcing IAM, with the fan-out's policy on a user and an admin user."""

    def prepare(client: Callable[[str], Any]) -> None:
        client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})

    policy = fanout_policy()
    with enforcing_moto_server(REGION, {"fanout": policy, "admin": ALLOW_EVERYTHING}, prepare) as moto:
        admin = moto.client("s3", "admin")
        yield Clients(S3AsIamSees([policy], admin).install(moto.client("s3", "fanout")), admin)


def raw_zone(admin: Any) -> dict[str, list[str]]:
    """Raw object key -> the event ids it holds, read back with the admin's rights."""
    listed = admin.list_objects_v2(Bucket=BUCKET, Prefix="raw/").get("Contents", [])
    return {
        o["Key"]: [
            str(e.event_id)
            for e, _ in decode_events(admin.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read())
        ]
        for o in listed
    }


def pairs(events: list[Event]) -> list[tuple[Event, str]]:
    return [(e, e.model_dump_json()) for e in events]


def test_the_fanout_role_gets_403_not_404_for_a_missing_manifest(clients: Clients) -> None:
    """Why the writer lists: S3's answer to this role's GET of a batch's first manifest."""
    missing = f"{MANIFEST_PREFIX}never-written.json"
    assert error_code(clients.fanout.get_object, Bucket=BUCKET, Key=missing) == "AccessDenied"
    assert error_code(clients.admin.get_object, Bucket=BUCKET, Key=missing) == "NoSuchKey"
    assert error_code(clients.fanout.list_objects_v2, Bucket=BUCKET, Prefix=missing, MaxKeys=1) is None
    # Listing is for the manifests only: not the raw zone, not the whole bucket.
    assert error_code(clients.fanout.list_objects_v2, Bucket=BUCKET, Prefix="raw/") == "AccessDenied"
    assert error_code(clients.fanout.list_objects_v2, Bucket=BUCKET) == "AccessDenied"


def test_moto_enforces_the_fanout_policy_actions_and_resources(clients: Clients) -> None:
    """The role writes and deletes raw objects but cannot read them back or write elsewhere."""
    key = "raw/team=orders/year=2026/month=01/day=01/hour=00/probe.jsonl.gz"
    clients.admin.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    assert error_code(clients.fanout.get_object, Bucket=BUCKET, Key=key) == "AccessDenied"
    assert error_code(clients.fanout.put_object, Bucket=BUCKET, Key="curated/x", Body=b"x") == "AccessDenied"
    assert error_code(clients.fanout.delete_object, Bucket=BUCKET, Key=key) is None


def test_a_new_batch_is_archived_under_the_fanout_role(clients: Clients) -> None:
    events = stored_events(CONFIG, orders=12, seed=71)
    keys = RawZoneWriter(clients.fanout, BUCKET).write("batch-new", pairs(events))
    stored = raw_zone(clients.admin)
    assert sorted(e for k in keys for e in stored[k]) == sorted(str(e.event_id) for e in events)
    manifest = clients.admin.get_object(Bucket=BUCKET, Key=f"{MANIFEST_PREFIX}batch-new.json")
    assert json.loads(manifest["Body"].read()) == {"keys": sorted(keys)}


def test_a_smaller_retry_under_the_fanout_role_leaves_each_event_once(clients: Clients) -> None:
    """An attempt wrote its objects and crashed; the retry covers fewer team/hours and removes the rest."""
    events = stored_events(CONFIG, orders=12, seed=72)
    writer = RawZoneWriter(clients.fanout, BUCKET)
    crashed = set(writer.write("batch-retried", pairs(events)))
    retried = writer.write("batch-retried", pairs(events[:5]))
    assert set(retried) < crashed  # the retry really is smaller: stale objects had to go
    stored = {k: ids for k, ids in raw_zone(clients.admin).items() if "batch-retried" in k}
    assert sorted(stored) == sorted(retried)
    assert sorted(e for ids in stored.values() for e in ids) == sorted(str(e.event_id) for e in events[:5])
