"""Tenant isolation in IAM: each team's role reaches its own queue, workgroup and prefixes, no other team's.

The documents under test are modules/team_access/policies/team_access.json.tftpl rendered per team
(tests/security/iam_policy.py), and the first test proves that rendering is byte-for-byte what
Terraform's own templatefile() produces, so every later test judges the deployed policy.

Two evaluators judge them:

- moto's IAM enforcement (a dedicated moto server; auth switched on through its
  /moto-api/reset-auth endpoint, which sets INITIAL_NO_AUTH_ACTION_COUNT at run time). What moto
  5.2 really enforces (moto/core/authorization.py, moto/iam/access_control.py): the SigV4
  signature of an IAM user's access key; the action; explicit Deny over Allow; and the resource
  for S3 (bucket and key ARN) and SQS (queue ARN, from `_determine_resource`). Every other
  service is checked against Resource "*", so a workgroup-scoped Athena grant never matches there,
  and conditions are effectively not evaluated: only StringEquals is known, and no request
  context values are passed for these calls, so every condition passes. Athena, KMS and the
  `s3:prefix` conditions are therefore judged by the second evaluator only.
- iam_policy.evaluate(), which evaluates actions, resources and the conditions the policy uses;
  it is checked against moto on every S3/SQS case both can judge, and by its own unit tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from itertools import permutations
from pathlib import Path
from typing import Any

import pytest

from local_platform.aws_endpoint import MOTO_ACCOUNT_ID
from platform_core.config import get_config
from platform_core.resources import Resources
from tests.security.enforcing_moto import EnforcingMoto, enforcing_moto_server, error_code
from tests.security.iam_policy import (
    PARTITION,
    TEMPLATE,
    Decision,
    Request,
    evaluate,
    kms_key_arn,
    queue_arn,
    render_template,
    team_policy,
    template_variables,
    workgroup_name,
)

CONFIG = get_config()
ENV = "dev"
RESOURCES = Resources(CONFIG, ENV, MOTO_ACCOUNT_ID)
TEAMS = tuple(CONFIG.teams)
REGION = CONFIG.region
CURATED_TABLE = "events"


def policy(team: str) -> dict[str, Any]:
    return team_policy(RESOURCES, team)


def decide(team: str, action: str, resource: str, **context: Any) -> Decision:
    return evaluate([policy(team)], Request(action, resource, context))


def s3_arn(bucket: str, key: str | None = None) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}" + (f"/{key}" if key is not None else "")


def curated_key(team: str) -> str:
    return f"curated/{CURATED_TABLE}/team={team}/event_date=2026-11-20/part-0000.parquet"


def workgroup_arn(team: str) -> str:
    return f"arn:{PARTITION}:athena:{REGION}:{MOTO_ACCOUNT_ID}:workgroup/{workgroup_name(CONFIG, ENV, team)}"


def team_queue_arns(team: str) -> list[str]:
    return [
        queue_arn(RESOURCES, RESOURCES.team_queue(team), MOTO_ACCOUNT_ID),
        queue_arn(RESOURCES, RESOURCES.team_dlq(team), MOTO_ACCOUNT_ID),
    ]


OTHER_TEAM_PAIRS = list(permutations(TEAMS, 2))


# -- the rendered document is Terraform's ---------------------------------------------------


def test_python_rendering_equals_terraform_templatefile() -> None:
    """Terraform renders the template (terraform console, offline: templatefile needs no provider)."""
    variables = {team: template_variables(RESOURCES, team) for team in TEAMS}
    expression = "{" + ", ".join(
        f'{team} = jsondecode(templatefile("{TEMPLATE}", jsondecode({json.dumps(json.dumps(v))})))'
        for team, v in variables.items()
    )
    with tempfile.TemporaryDirectory() as workdir:
        env = dict(os.environ, TF_CLI_CONFIG_FILE="/dev/null", CHECKPOINT_DISABLE="1")
        proc = subprocess.run(
            ["terraform", "console"],
            input=f"jsonencode({expression}}})\n",
            capture_output=True,
            text=True,
            cwd=workdir,
            env=env,
            timeout=120,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr
    by_terraform = json.loads(json.loads(proc.stdout))
    for team in TEAMS:
        rendered = json.loads(render_template(TEMPLATE.read_text(encoding="utf-8"), variables[team]))
        assert rendered == by_terraform[team]
        assert rendered["Statement"], team


def test_every_statement_names_the_team_or_only_shared_metadata() -> None:
    """No statement is left generic: each is scoped to the team's own ARNs, or cannot be narrower.

    Catalog metadata and bucket locations are not team data. With S3 bucket keys the KMS
    encryption context is the bucket, not the object, so the key grant is per bucket: what a team
    can decrypt is still bounded by the objects its S3 statements let it read.
    """
    shared_metadata = {"GlueCatalogRead", "AthenaDataCatalog", "LakeBucketLocation", "DecryptLakeAndResults"}
    for team in TEAMS:
        for statement in policy(team)["Statement"]:
            text = json.dumps(statement)
            assert statement["Effect"] == "Allow"
            resources = statement["Resource"]
            assert "*" not in (resources if isinstance(resources, list) else [resources])
            if statement["Sid"] not in shared_metadata:
                assert team in text, (team, statement["Sid"])
            for other in set(TEAMS) - {team}:
                assert f"-{other}-" not in text and f"team={other}/" not in text, (team, statement["Sid"])


def test_a_team_without_a_queue_gets_no_queue_statements() -> None:
    documents = CONFIG.teams["documents"]
    no_queue = documents.model_copy(
        update={
            "subscriptions": documents.subscriptions.model_copy(
                update={"sqs": type(documents.subscriptions.sqs)()}
            )
        }
    )
    config = CONFIG.model_copy(update={"teams": {**CONFIG.teams, "documents": no_queue}})
    assert "documents" not in config.sqs_subscriber_teams
    document = team_policy(Resources(config, ENV, MOTO_ACCOUNT_ID), "documents")
    sids = [s["Sid"] for s in document["Statement"]]
    assert not [s for s in sids if s.startswith("Queue")]
    assert "AthenaOwnWorkgroup" in sids and "CuratedReadOwnPrefix" in sids


# -- the evaluator's verdicts on every pair of teams -------------------------------------------


@pytest.mark.parametrize(("team", "other"), OTHER_TEAM_PAIRS)
def test_queues_own_allowed_other_denied(team: str, other: str) -> None:
    for arn in team_queue_arns(team):
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"):
            assert decide(team, action, arn) is Decision.ALLOW
        # Consuming is all: a team cannot inject events into its own queue or purge it.
        for action in ("sqs:SendMessage", "sqs:PurgeQueue", "sqs:SetQueueAttributes", "sqs:DeleteQueue"):
            assert decide(team, action, arn) is Decision.IMPLICIT_DENY
    for arn in team_queue_arns(other):
        assert decide(team, "sqs:ReceiveMessage", arn) is Decision.IMPLICIT_DENY
        assert decide(team, "sqs:DeleteMessage", arn) is Decision.IMPLICIT_DENY
    outbox = queue_arn(RESOURCES, RESOURCES.outbox_queue, MOTO_ACCOUNT_ID)
    assert decide(team, "sqs:ReceiveMessage", outbox) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(("team", "other"), OTHER_TEAM_PAIRS)
def test_queue_key_decrypts_only_own_queues_through_sqs(team: str, other: str) -> None:
    key = kms_key_arn(REGION, MOTO_ACCOUNT_ID)
    via_sqs = f"sqs.{REGION}.amazonaws.com"
    own, foreign = team_queue_arns(team)[0], team_queue_arns(other)[0]
    context = "kms:EncryptionContext:aws:sqs:arn"
    assert decide(team, "kms:Decrypt", key, **{"kms:ViaService": via_sqs, context: own}).allowed
    assert not decide(team, "kms:Decrypt", key, **{"kms:ViaService": via_sqs, context: foreign}).allowed
    # Not through SQS: the key cannot be used directly, whatever the context says.
    assert not decide(team, "kms:Decrypt", key, **{context: own}).allowed
    assert not decide(
        team, "kms:Decrypt", key, **{"kms:ViaService": f"dynamodb.{REGION}.amazonaws.com"}
    ).allowed
    # Through S3: only for the curated and results buckets (the raw/rejected zones share the key).
    via_s3 = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    s3_context = "kms:EncryptionContext:aws:s3:arn"
    assert decide(
        team, "kms:Decrypt", key, **via_s3, **{s3_context: s3_arn(RESOURCES.curated_bucket)}
    ).allowed
    assert not decide(
        team, "kms:Decrypt", key, **via_s3, **{s3_context: s3_arn(RESOURCES.raw_bucket)}
    ).allowed
    assert not decide(
        team, "kms:Encrypt", key, **via_s3, **{s3_context: s3_arn(RESOURCES.curated_bucket)}
    ).allowed


@pytest.mark.parametrize(("team", "other"), OTHER_TEAM_PAIRS)
def test_athena_own_workgroup_only(team: str, other: str) -> None:
    for action in ("athena:StartQueryExecution", "athena:GetQueryResults", "athena:GetWorkGroup"):
        assert decide(team, action, workgroup_arn(team)) is Decision.ALLOW
        assert decide(team, action, workgroup_arn(other)) is Decision.IMPLICIT_DENY
    # The platform's own workgroup (data-quality checks) is not a team's either.
    assert decide(team, "athena:StartQueryExecution", workgroup_arn("platform")) is Decision.IMPLICIT_DENY
    for action in ("athena:UpdateWorkGroup", "athena:DeleteWorkGroup", "athena:CreateWorkGroup"):
        assert decide(team, action, workgroup_arn(team)) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(("team", "other"), OTHER_TEAM_PAIRS)
def test_curated_prefix_and_results_own_only(team: str, other: str) -> None:
    curated, results = RESOURCES.curated_bucket, RESOURCES.athena_results_bucket
    assert decide(team, "s3:GetObject", s3_arn(curated, curated_key(team))).allowed
    assert not decide(team, "s3:GetObject", s3_arn(curated, curated_key(other))).allowed
    assert not decide(team, "s3:PutObject", s3_arn(curated, curated_key(team))).allowed
    assert not decide(team, "s3:DeleteObject", s3_arn(curated, curated_key(team))).allowed
    # Listing: only under its own team= prefix, never the whole bucket or another team's prefix.
    own_prefix, other_prefix = (
        f"curated/{CURATED_TABLE}/team={team}/",
        f"curated/{CURATED_TABLE}/team={other}/",
    )
    assert decide(team, "s3:ListBucket", s3_arn(curated), **{"s3:prefix": own_prefix}).allowed
    assert not decide(team, "s3:ListBucket", s3_arn(curated), **{"s3:prefix": other_prefix}).allowed
    assert not decide(team, "s3:ListBucket", s3_arn(curated), **{"s3:prefix": "curated/"}).allowed
    assert not decide(team, "s3:ListBucket", s3_arn(curated)).allowed
    # Athena results: the workgroup writes and reads under <team>/ (its output location).
    for action in ("s3:PutObject", "s3:GetObject"):
        assert decide(team, action, s3_arn(results, f"{team}/abc.csv")).allowed
        assert not decide(team, action, s3_arn(results, f"{other}/abc.csv")).allowed
    assert decide(team, "s3:ListBucket", s3_arn(results), **{"s3:prefix": f"{team}/"}).allowed
    assert not decide(team, "s3:ListBucket", s3_arn(results), **{"s3:prefix": f"{other}/"}).allowed
    # The other zones hold every team's data: no access at all.
    for bucket in (RESOURCES.raw_bucket, RESOURCES.rejected_bucket):
        assert not decide(team, "s3:GetObject", s3_arn(bucket, f"raw/team={team}/x.json.gz")).allowed
        assert not decide(team, "s3:ListBucket", s3_arn(bucket), **{"s3:prefix": f"raw/team={team}/"}).allowed


def test_nothing_else() -> None:
    """No write to shared data, no other service: the policy is a closed list."""
    for team in TEAMS:
        table = f"arn:{PARTITION}:dynamodb:{REGION}:{MOTO_ACCOUNT_ID}:table/{RESOURCES.events_table}"
        assert not decide(team, "dynamodb:Query", table).allowed
        assert not decide(
            team, "glue:DeleteTable", f"arn:{PARTITION}:glue:{REGION}:{MOTO_ACCOUNT_ID}:catalog"
        ).allowed
        assert not decide(team, "iam:PassRole", f"arn:{PARTITION}:iam::{MOTO_ACCOUNT_ID}:role/x").allowed
        assert not decide(team, "kms:Decrypt", "*").allowed
        actions = {a for s in policy(team)["Statement"] for a in s["Action"]}
        assert {a.split(":")[0] for a in actions} == {"sqs", "kms", "athena", "glue", "s3"}
        assert not [a for a in actions if a.endswith("*")]


# -- moto's IAM enforcement, over HTTP ------------------------------------------------------------


@pytest.fixture(scope="module")
def enforcing_moto() -> Iterator[EnforcingMoto]:
    """A moto server of its own, enforcing IAM, with each team's rendered policy on a user (the team's name)."""

    def prepare(client: Callable[[str], Any]) -> None:
        sqs, s3 = client("sqs"), client("s3")
        for bucket in (RESOURCES.curated_bucket, RESOURCES.athena_results_bucket, RESOURCES.raw_bucket):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        for team in TEAMS:
            for name in (RESOURCES.team_queue(team), RESOURCES.team_dlq(team)):
                url = sqs.create_queue(QueueName=name)["QueueUrl"]
                sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"team": team}))
            s3.put_object(Bucket=RESOURCES.curated_bucket, Key=curated_key(team), Body=b"PAR1")
            s3.put_object(Bucket=RESOURCES.athena_results_bucket, Key=f"{team}/q.csv", Body=b"a\n1\n")
            s3.put_object(Bucket=RESOURCES.raw_bucket, Key=f"raw/team={team}/x.json.gz", Body=b"{}")

    with enforcing_moto_server(REGION, {team: policy(team) for team in TEAMS}, prepare) as moto:
        yield moto


def queue_url(moto: EnforcingMoto, name: str) -> str:
    return f"{moto.endpoint}/{MOTO_ACCOUNT_ID}/{name}"


@pytest.mark.parametrize(("team", "other"), OTHER_TEAM_PAIRS)
def test_moto_enforces_queue_isolation(enforcing_moto: EnforcingMoto, team: str, other: str) -> None:
    sqs = enforcing_moto.client("sqs", team)
    own = queue_url(enforcing_moto, RESOURCES.team_dlq(team))
    # The DLQ is read but never consumed here, so every pair of the parametrization finds its message.
    received = sqs.receive_message(QueueUrl=own, VisibilityTimeout=0, MaxNumberOfMessages=1)
    assert json.loads(received["Messages"][0]["Body"]) == {"team": team}
    for name in (RESOURCES.team_queue(other), RESOURCES.team_dlq(other)):
        assert error_code(sqs.receive_message, QueueUrl=queue_url(enforcing_moto, name)) == "AccessDenied"
        assert decide(team, "sqs:ReceiveMessage", queue_arn(RESOURCES, name, MOTO_ACCOUNT_ID)) is (
            Decision.IMPLICIT_DENY
        )
    assert error_code(sqs.send_message, QueueUrl=own, MessageBody="forged") == "AccessDenied"


def test_moto_enforces_delete_on_own_queue_only(enforcing_moto: EnforcingMoto) -> None:
    team, other = TEAMS[0], TEAMS[1]
    sqs = enforcing_moto.client("sqs", team)
    own = queue_url(enforcing_moto, RESOURCES.team_queue(team))
    message = sqs.receive_message(QueueUrl=own, MaxNumberOfMessages=1)["Messages"][0]
    sqs.delete_message(QueueUrl=own, ReceiptHandle=message["ReceiptHandle"])
    foreign = queue_url(enforcing_moto, RESOURCES.team_queue(other))
    assert error_code(sqs.delete_message, QueueUrl=foreign, ReceiptHandle=message["ReceiptHandle"]) == (
        "AccessDenied"
    )


@pytest.mark.parametrize(("team", "other"), OTHER_TEAM_PAIRS)
def test_moto_enforces_prefix_isolation(enforcing_moto: EnforcingMoto, team: str, other: str) -> None:
    s3 = enforcing_moto.client("s3", team)
    curated, results = RESOURCES.curated_bucket, RESOURCES.athena_results_bucket
    assert s3.get_object(Bucket=curated, Key=curated_key(team))["Body"].read() == b"PAR1"
    assert s3.get_object(Bucket=results, Key=f"{team}/q.csv")["Body"].read() == b"a\n1\n"
    denied: list[tuple[Any, dict[str, Any]]] = [
        (s3.get_object, {"Bucket": curated, "Key": curated_key(other)}),
        (s3.get_object, {"Bucket": results, "Key": f"{other}/q.csv"}),
        (s3.get_object, {"Bucket": RESOURCES.raw_bucket, "Key": f"raw/team={team}/x.json.gz"}),
        (s3.put_object, {"Bucket": curated, "Key": curated_key(team), "Body": b"x"}),
        (s3.delete_object, {"Bucket": curated, "Key": curated_key(team)}),
    ]
    for call, kwargs in denied:
        assert error_code(call, **kwargs) == "AccessDenied", kwargs
        action = {
            "get_object": "s3:GetObject",
            "put_object": "s3:PutObject",
            "delete_object": "s3:DeleteObject",
        }
        resource = s3_arn(str(kwargs["Bucket"]), str(kwargs["Key"]))
        assert not decide(team, action[call.__name__], resource).allowed  # the evaluator agrees with moto


def test_moto_rejects_unsigned_and_unknown_keys(enforcing_moto: EnforcingMoto) -> None:
    """The enforcement is real: a key moto never issued gets nothing, even on the team's own queue."""
    stranger = EnforcingMoto(
        enforcing_moto.endpoint, REGION, {"x": ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG")}
    )
    own = queue_url(enforcing_moto, RESOURCES.team_queue(TEAMS[0]))
    assert error_code(stranger.client("sqs", "x").receive_message, QueueUrl=own) == "InvalidClientTokenId"
    forged = EnforcingMoto(
        enforcing_moto.endpoint, REGION, {"x": (enforcing_moto.keys[TEAMS[0]][0], "not-the-secret")}
    )
    assert error_code(forged.client("sqs", "x").receive_message, QueueUrl=own) == "SignatureDoesNotMatch"


def test_the_template_is_the_file_terraform_reads() -> None:
    main_tf = Path(TEMPLATE).parents[1] / "main.tf"
    assert 'templatefile("${path.module}/policies/team_access.json.tftpl"' in main_tf.read_text()
