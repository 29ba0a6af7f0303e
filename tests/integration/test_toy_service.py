"""Adding a service is one folder plus one config entry: a toy service, declared in a copy of the config.

Its code lives in the test's temporary folder, not in lambdas/; nothing but the
copied configuration names it. From that entry alone it is packaged (its zip
and the manifest), wired by Terraform (function, trigger, role, tables),
provisioned locally (its bucket with the S3 notification, its inbox queue and
DLQ, its table) and invoked by the local runtime in its own execution
environment when an object lands under its prefix.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from local_platform.kafka_broker import KafkaBroker
from local_platform.pollers.wiring import Triggers
from local_platform.runtime import LocalPlatform
from platform_core.aws import client
from platform_core.config import ROOT, load_config
from scripts import package
from scripts.terraform.services import plan_services
from tests.fixtures.aws import isolated_config

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

TOY = "toy-inbox"
TOY_HANDLER = '''
"""A toy service: records the key of every object that lands in its inbox."""

import json
from urllib.parse import unquote_plus

from platform_core.aws import client
from platform_core.settings import FunctionSettings


class Settings(FunctionSettings):
    table_toys: str  # TABLE_TOYS


settings = Settings()


def lambda_handler(event, context):
    for record in event["Records"]:
        notification = json.loads(record["body"])
        for entry in notification.get("Records", []):  # S3 also sends an s3:TestEvent without records
            key = unquote_plus(entry["s3"]["object"]["key"])  # S3 notifications URL-encode keys
            client("dynamodb").put_item(
                TableName=settings.table_toys,
                Item={"key": {"S": key}, "team": {"S": settings.powertools_service_name}},
            )
    return {"batchItemFailures": []}
'''

DECLARATION = {
    "team": "documents",
    "description": "A toy: records what lands in its inbox",
    "handler": "toy.handler.lambda_handler",
    "trigger": {"type": "s3", "bucket": "toy-drop", "prefix": "in/"},
    "batch": {"size": 5},
    "concurrency": 2,
    "timeout_seconds": 20,
    "tables": {"toys": {"hash_key": "key"}},
    "buckets": {"toy-drop": {}},
    "permissions": [
        {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::stockoss-*-documents-toy-drop*/in/*"]}
    ],
}


@pytest.fixture
def toy(tmp_path: Path) -> tuple[Path, Path]:
    """(the copied configuration with the toy declared, the folder holding the toy's code)."""
    code = tmp_path / "code"
    (code / "toy").mkdir(parents=True)
    (code / "toy" / "__init__.py").write_text("")
    (code / "toy" / "handler.py").write_text(TOY_HANDLER)
    document = yaml.safe_load((ROOT / "config" / "platform.yaml").read_text())
    document["services"][TOY] = DECLARATION
    config_path = tmp_path / "platform.yaml"
    config_path.write_text(yaml.safe_dump(document, sort_keys=False))
    return config_path, code


def test_the_toy_is_packaged_from_its_declaration(toy: tuple[Path, Path], tmp_path: Path) -> None:
    config_path, code = toy
    out = tmp_path / "build"
    package.build(
        package.REPO_ROOT, out, {"functions"}, [TOY], config=load_config(config_path), code_paths=[code]
    )
    manifest = json.loads((out / "lambda" / "manifest.json").read_text())
    entry = manifest["functions"][TOY]
    assert entry["handler"] == "toy.handler.lambda_handler" and entry["layers"] == ["dependencies"]
    import zipfile

    with zipfile.ZipFile(out / entry["artifact"]) as archive:
        names = archive.namelist()
    assert {"toy/__init__.py", "toy/handler.py", "platform_core/settings.py", "config/platform.yaml"} <= set(
        names
    )
    assert not [n for n in names if n.startswith("lambdas/")]


def test_the_toy_appears_in_the_terraform_wiring_check(toy: tuple[Path, Path]) -> None:
    config_path, _ = toy
    # What Terraform's service_specs module derives from this configuration (evaluated by Terraform).
    plan = plan_services(config_path, "dev")[TOY]
    assert plan.function == "stockoss-dev-documents-toy-inbox" and plan.role == plan.function
    assert plan.trigger.startswith("s3 stockoss-dev-documents-toy-drop-") and "/in/* -> " in plan.trigger
    assert "stockoss-dev-documents-toy-inbox-inbox" in plan.trigger and "batch 5" in plan.trigger
    assert plan.tables == {"toys": "stockoss-dev-documents-toys"}
    assert plan.environment["TABLE_TOYS"] == "stockoss-dev-documents-toys"
    actions = {a for statement in plan.statements for a in _as_list(statement.get("actions", []))}
    assert {"s3:GetObject", "dynamodb:PutItem", "sqs:ReceiveMessage"} <= actions
    # And the whole services check passes for it (names, environment, trigger, IAM rules).
    check = subprocess.run(
        [sys.executable, "-m", "scripts.terraform.check", "--config", str(config_path), "--only", "services"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert TOY in check.stdout


def _as_list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def test_the_toy_is_provisioned_and_invoked_by_the_local_runtime(
    aws_endpoint_url: str, toy: tuple[Path, Path]
) -> None:
    config_path, code = toy
    config = isolated_config(load_config(config_path))
    with LocalPlatform(
        config, components=[KafkaBroker(), Triggers()], state_path=None, code_paths=[str(code)]
    ) as platform:
        resources = platform.resources
        bucket = resources.service_buckets(TOY)["toy-drop"]
        table = resources.service_tables(TOY)["toys"]
        assert client("sqs").get_queue_url(QueueName=resources.service_dlq(TOY))
        client("s3").put_object(Bucket=bucket, Key="in/first.json", Body=b"{}")
        client("s3").put_object(Bucket=bucket, Key="elsewhere/ignored.json", Body=b"{}")  # not its prefix
        deadline = time.monotonic() + 120
        while "Item" not in client("dynamodb").get_item(TableName=table, Key={"key": {"S": "in/first.json"}}):
            assert time.monotonic() < deadline, f"the toy never recorded the object: {platform.status()}"
            time.sleep(0.5)
        items = client("dynamodb").scan(TableName=table)["Items"]
        assert [i["key"]["S"] for i in items] == ["in/first.json"]
        status = platform.function(TOY).status()
        assert (
            status["invocations"] >= 1
            and status["errors"] == 0
            and status["function"].endswith(f"-documents-{TOY}")
        )
        environment = platform.function_environment(TOY)
        assert environment["TABLE_TOYS"] == table and environment["BUCKET_TOY_DROP"] == bucket
