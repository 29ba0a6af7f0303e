"""Encryption everywhere, proved on the parsed Terraform (every configuration under terraform/ and modules/).

At rest: every DynamoDB table, SQS queue, SNS topic, CloudWatch log group, CloudTrail trail,
Kinesis Firehose stream, Athena workgroup (query results), Glue security configuration and MSK
cluster names a KMS key. Every S3 bucket is made by modules/s3_bucket, whose default encryption
is SSE-KMS with an S3 bucket key whenever a key is passed, and every call of that module passes
one, except the server-access-log target buckets, for which S3 accepts SSE-S3 only (listed below).
In transit: every bucket carries the module's TLS-only policy (Deny on aws:SecureTransport false),
every queue a TLS-only queue policy, and MSK is TLS between clients and brokers and inside the cluster.
Each rule also asserts it found something to check, so it cannot pass on an empty walk.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.terraform.hcl import REPO_ROOT, Block, Configuration, load_all, parse_file, relative

CONFIGS = load_all()

# (file, module name) => why the bucket is SSE-S3. Nothing else may be.
SSE_S3_BUCKETS = {
    (
        "modules/environment/main.tf",
        "access_logs",
    ): "S3 server access log target: S3 delivers to SSE-S3 buckets only",
    (
        "modules/central_logging/main.tf",
        "access_logs",
    ): "S3 server access log target: S3 delivers to SSE-S3 buckets only",
    (
        "terraform/bootstrap/main.tf",
        "access_logs",
    ): "S3 server access log target: S3 delivers to SSE-S3 buckets only",
}


def resources(kind: str) -> Iterator[tuple[Configuration, Block]]:
    for config in CONFIGS:
        for block in config.of_kind("resource"):
            if block.labels[0] == kind:
                yield config, block


def one(body: dict[str, Any], name: str) -> dict[str, Any]:
    """A nested block that must be there exactly once."""
    blocks = body.get(name)
    assert isinstance(blocks, list) and len(blocks) == 1, f"expected one {name} block, got {blocks!r}"
    found: dict[str, Any] = blocks[0]
    return found


def a_key(value: Any) -> bool:
    """A KMS key reference: a variable, a key resource or its ARN; not null, not empty, not a literal alias/default."""
    return isinstance(value, str) and value.startswith("${") and "null" not in value


def dynamodb(block: Block) -> None:
    sse = one(block.body, "server_side_encryption")
    assert sse.get("enabled") is True
    assert a_key(sse.get("kms_key_arn")), "a customer managed key, not the AWS owned default"


def sqs(block: Block) -> None:
    assert a_key(block.body.get("kms_master_key_id"))
    assert block.body.get("sqs_managed_sse_enabled") in (None, False)


def sns(block: Block) -> None:
    assert a_key(block.body.get("kms_master_key_id"))


def log_group(block: Block) -> None:
    assert a_key(block.body.get("kms_key_id"))


def cloudtrail(block: Block) -> None:
    assert a_key(block.body.get("kms_key_id"))


def firehose(block: Block) -> None:
    sse = one(block.body, "server_side_encryption")
    assert (
        sse.get("enabled") is True
        and sse.get("key_type") == "CUSTOMER_MANAGED_CMK"
        and a_key(sse.get("key_arn"))
    )
    for destination in ("extended_s3_configuration", "s3_configuration"):
        for configuration in block.body.get(destination, []):
            assert a_key(configuration.get("kms_key_arn")), f"{destination} writes unencrypted objects"


def athena(block: Block) -> None:
    configuration = one(block.body, "configuration")
    assert configuration.get("enforce_workgroup_configuration") is True, (
        "clients could override the encryption"
    )
    encryption = one(one(configuration, "result_configuration"), "encryption_configuration")
    assert encryption.get("encryption_option") == "SSE_KMS" and a_key(encryption.get("kms_key_arn"))


def glue(block: Block) -> None:
    encryption = one(block.body, "encryption_configuration")
    assert one(encryption, "s3_encryption").get("s3_encryption_mode") == "SSE-KMS"
    assert one(encryption, "cloudwatch_encryption").get("cloudwatch_encryption_mode") == "SSE-KMS"
    assert one(encryption, "job_bookmarks_encryption").get("job_bookmarks_encryption_mode") == "CSE-KMS"
    for name in ("s3_encryption", "cloudwatch_encryption", "job_bookmarks_encryption"):
        assert a_key(one(encryption, name).get("kms_key_arn")), name


def msk(block: Block) -> None:
    info = one(block.body, "encryption_info")
    assert a_key(info.get("encryption_at_rest_kms_key_arn"))
    transit = one(info, "encryption_in_transit")
    assert transit.get("client_broker") == "TLS" and transit.get("in_cluster") is True


RULES: dict[str, Callable[[Block], None]] = {
    "aws_dynamodb_table": dynamodb,
    "aws_sqs_queue": sqs,
    "aws_sns_topic": sns,
    "aws_cloudwatch_log_group": log_group,
    "aws_cloudtrail": cloudtrail,
    "aws_kinesis_firehose_delivery_stream": firehose,
    "aws_athena_workgroup": athena,
    "aws_glue_security_configuration": glue,
    "aws_msk_cluster": msk,
}


@pytest.mark.parametrize("kind", sorted(RULES))
def test_every_resource_of_the_kind_is_kms_encrypted(kind: str) -> None:
    found = list(resources(kind))
    assert found, f"no {kind} in the Terraform: the rule checks nothing"
    failures = []
    for _, block in found:
        try:
            RULES[kind](block)
        except AssertionError as exc:
            failures.append(f"{block.where} {kind}.{block.labels[1]}: {exc}")
    assert not failures, "\n".join(failures)


def test_only_the_s3_bucket_module_creates_buckets() -> None:
    """So the module's encryption and policy below hold for every bucket of the platform."""
    places = {relative(block.file) for _, block in resources("aws_s3_bucket")}
    assert places == {"modules/s3_bucket/main.tf"}


def test_bucket_module_is_sse_kms_with_a_bucket_key_and_tls_only() -> None:
    config = next(c for c in CONFIGS if c.path == REPO_ROOT / "modules" / "s3_bucket")
    (sse,) = [
        b
        for b in config.of_kind("resource")
        if b.labels[0] == "aws_s3_bucket_server_side_encryption_configuration"
    ]
    rule = one(sse.body, "rule")
    default = one(rule, "apply_server_side_encryption_by_default")
    assert default["sse_algorithm"] == '${var.kms_key_arn == null ? "AES256" : "aws:kms"}'
    assert default["kms_master_key_id"] == "${var.kms_key_arn}"
    assert rule["bucket_key_enabled"] == "${var.kms_key_arn != null}"

    (policy,) = [b for b in config.of_kind("resource") if b.labels[0] == "aws_s3_bucket_policy"]
    assert "count" not in policy.body and "for_each" not in policy.body, "the policy must be unconditional"
    assert policy.body["policy"] == "${data.aws_iam_policy_document.tls_only.json}"
    deny = tls_only_call(config, policy)
    assert deny.body["actions"] == ["s3:*"]
    assert deny.body["resources"] == ["${aws_s3_bucket.this.arn}", "${aws_s3_bucket.this.arn}/*"]


def test_every_bucket_passes_a_kms_key_but_the_access_log_targets() -> None:
    calls = [
        (config, block)
        for config in CONFIGS
        for block in config.of_kind("module")
        if str(block.body.get("source", "")).rstrip("/").endswith("s3_bucket")
    ]
    assert len(calls) >= 5
    sse_s3 = set()
    for config, block in calls:
        where = (relative(block.file), block.labels[0])
        if a_key(block.body.get("kms_key_arn")):
            continue
        assert where in SSE_S3_BUCKETS, f"{block.where}: bucket module {block.labels[0]} without a KMS key"
        # The exception holds only for a bucket that really is an access-log target.
        used_as_target = any(
            f"module.{block.labels[0]}." in str(other.body.get("access_log_bucket", ""))
            for other in config.blocks
            if other.kind == "module"
        )
        assert used_as_target, f"{block.where}: SSE-S3 but not an access-log target"
        sse_s3.add(where)
    assert sse_s3 == set(SSE_S3_BUCKETS), "an exception matches no bucket: remove it"


def test_every_queue_has_a_tls_only_policy() -> None:
    """Each queue resource is in the set the TLS-only queue policy is attached to (for_each)."""
    queues = list(resources("aws_sqs_queue"))
    assert queues
    for config, queue in queues:
        (policy,) = [b for b in config.of_kind("resource") if b.labels[0] == "aws_sqs_queue_policy"]
        assert policy.body["policy"] == "${data.aws_iam_policy_document.queue_tls_only[each.key].json}"
        target = re.fullmatch(r"\$\{local\.(\w+)\}", policy.body["for_each"])
        assert target, policy.body["for_each"]
        queue_set = next(
            str(b.body[target.group(1)]) for b in config.of_kind("locals") if target.group(1) in b.body
        )
        assert f"aws_sqs_queue.{queue.labels[1]}" in queue_set, (
            f"{queue.where}: queue without the TLS-only policy"
        )
        deny = tls_only_call(config, policy)
        assert deny.body["for_each"] == policy.body["for_each"]
        assert deny.body["actions"] == ["sqs:*"] and deny.body["resources"] == ["${each.value.arn}"]


TLS_ONLY_MODULE = REPO_ROOT / "modules" / "tls_only_policy"
RESOURCE_POLICIES = ("aws_s3_bucket_policy", "aws_sqs_queue_policy", "aws_sns_topic_policy")


def tls_only_call(config: Configuration, policy: Block) -> Block:
    """The tls_only_policy module call whose statement the policy resource's document merges in."""
    document_name = re.fullmatch(
        r"\$\{data\.aws_iam_policy_document\.(\w+)(\[[^]]+\])?\.json\}", policy.body["policy"]
    )
    assert document_name, f"{policy.where}: policy is not a policy document's json"
    (document,) = [
        b for b in config.of_kind("data") if b.labels == ("aws_iam_policy_document", document_name.group(1))
    ]
    merged = " ".join(
        str(document.body.get(key, "")) for key in ("source_policy_documents", "override_policy_documents")
    )
    calls = [
        b
        for b in config.of_kind("module")
        if (config.path / str(b.body.get("source", ""))).resolve() == TLS_ONLY_MODULE
        and re.search(rf"module\.{b.labels[0]}(\[[^]]+\])?\.json", merged)
    ]
    assert len(calls) == 1, f"{document.where}: merges {len(calls)} tls_only_policy statements, not one"
    for repeat in ("for_each", "count"):
        assert calls[0].body.get(repeat) == document.body.get(repeat), f"{calls[0].where}: {repeat}"
    return calls[0]


def test_the_tls_only_statement_denies_plain_http_to_everyone() -> None:
    config = next(c for c in CONFIGS if c.path == TLS_ONLY_MODULE)
    (document,) = [b for b in config.of_kind("data") if b.labels[0] == "aws_iam_policy_document"]
    assert set(document.body) <= {"statement", "__is_block__"}, "nothing else may be merged into it"
    (statement,) = document.body["statement"]
    assert statement["sid"] == "DenyInsecureTransport" and statement["effect"] == "Deny"
    assert (statement["actions"], statement["resources"]) == ("${var.actions}", "${var.resources}")
    assert one(statement, "principals")["type"] == "*"
    assert one(statement, "principals")["identifiers"] == ["*"]
    condition = one(statement, "condition")
    assert (condition["test"], condition["variable"], condition["values"]) == (
        "Bool",
        "aws:SecureTransport",
        ["false"],
    )


def test_every_bucket_queue_and_topic_policy_merges_the_tls_only_statement() -> None:
    policies = [(config, block) for kind in RESOURCE_POLICIES for config, block in resources(kind)]
    assert {block.labels[0] for _, block in policies} == set(RESOURCE_POLICIES)
    for config, policy in policies:
        deny = tls_only_call(config, policy)
        service = policy.labels[0].split("_")[1]
        assert all(action.startswith(f"{service}:") for action in deny.body["actions"]), deny.where


PLANTED = {
    "aws_dynamodb_table": 'resource "aws_dynamodb_table" "t" {\n  name = "t"\n}\n',
    "aws_sqs_queue": 'resource "aws_sqs_queue" "q" {\n  sqs_managed_sse_enabled = true\n}\n',
    "aws_sns_topic": 'resource "aws_sns_topic" "t" {\n  name = "t"\n}\n',
    "aws_cloudwatch_log_group": 'resource "aws_cloudwatch_log_group" "l" {\n  kms_key_id = null\n}\n',
    "aws_cloudtrail": 'resource "aws_cloudtrail" "t" {\n  name = "t"\n}\n',
    "aws_kinesis_firehose_delivery_stream": (
        'resource "aws_kinesis_firehose_delivery_stream" "f" {\n'
        '  server_side_encryption {\n    enabled = true\n    key_type = "AWS_OWNED_CMK"\n  }\n}\n'
    ),
    "aws_athena_workgroup": (
        'resource "aws_athena_workgroup" "w" {\n  configuration {\n    enforce_workgroup_configuration = true\n'
        "    result_configuration {\n      encryption_configuration {\n"
        '        encryption_option = "SSE_S3"\n      }\n    }\n  }\n}\n'
    ),
    "aws_glue_security_configuration": (
        'resource "aws_glue_security_configuration" "g" {\n  encryption_configuration {\n'
        '    s3_encryption {\n      s3_encryption_mode = "DISABLED"\n    }\n  }\n}\n'
    ),
    "aws_msk_cluster": (
        'resource "aws_msk_cluster" "m" {\n  encryption_info {\n    encryption_at_rest_kms_key_arn = var.k\n'
        '    encryption_in_transit {\n      client_broker = "TLS_PLAINTEXT"\n    }\n  }\n}\n'
    ),
}


@pytest.mark.parametrize("kind", sorted(RULES))
def test_each_rule_catches_a_planted_unencrypted_resource(kind: str, tmp_path: Path) -> None:
    assert set(PLANTED) == set(RULES)
    (tmp_path / "main.tf").write_text(PLANTED[kind])
    (block,) = parse_file(tmp_path / "main.tf")
    with pytest.raises(AssertionError):
        RULES[kind](block)
