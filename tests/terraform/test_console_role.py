"""The console's role as Terraform renders it from the declaration (modules/service_specs): it reads, and
writes only what its redrive button writes (python -m scripts.redrive) and what Athena writes for the
queries it runs."""

from __future__ import annotations

from pathlib import Path

from scripts.terraform.services import plan_services

CONFIG = Path(__file__).resolve().parents[2] / "config" / "platform.yaml"

READ_VERBS = ("Get", "List", "Describe", "Filter", "Scan", "Query", "BatchGet")
# Not reads by IAM's access levels, each on exactly the resources it needs, nothing else.
REDRIVE = {
    # Peek at and take the dead letters (a receive with no visibility timeout is the page's peek).
    "sqs:ReceiveMessage": ("-events-dlq", "-kafka-outbox-dlq", "-fanout-failures"),
    "sqs:DeleteMessage": ("-events-dlq", "-kafka-outbox-dlq", "-fanout-failures"),
    # Put them back where they came from, or replay the stream records through the fan-out.
    "sqs:SendMessage": ("-events", "-kafka-outbox"),
    "lambda:InvokeFunction": ("function:stockoss-*-fanout",),
}
QUERIES = {
    "athena:StartQueryExecution": ("workgroup/",),
    "athena:StopQueryExecution": ("workgroup/",),
    "s3:PutObject": ("-athena-results*/*",),  # the query results, in the workgroup's result location
    "kms:GenerateDataKey": ("arn:aws:kms:",),  # ...encrypted with the environment's key
}


def test_the_consoles_role_reads_and_writes_only_the_redrive_and_its_query_results() -> None:
    console = plan_services(CONFIG)["console"]
    writes = {}
    for statement in console.statements:
        for action in statement["actions"]:
            verb = action.split(":", 1)[1]
            if verb.startswith(READ_VERBS) or action in ("kms:Decrypt", "apigateway:GET"):
                continue
            writes[action] = statement["resources"]
    allowed = {**REDRIVE, **QUERIES}
    assert set(writes) <= set(allowed), f"not reads: {sorted(set(writes) - set(allowed))}"
    for action, resources in writes.items():
        assert resources and all(
            any(r.endswith(suffix) or suffix in r for suffix in allowed[action]) for r in resources
        ), (action, resources)
    assert set(writes) >= set(REDRIVE), "the redrive button needs each of these"


def test_the_console_owns_nothing_and_emits_nothing() -> None:
    console = plan_services(CONFIG)["console"]
    assert console.tables == {} and console.buckets == {} and console.secrets == {}
    assert "PLATFORM_API_URL" not in console.environment
    assert console.trigger.startswith("api")
