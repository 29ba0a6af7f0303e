"""API fuzzing with schemathesis against api/openapi.yaml, over real HTTP to the local gateway.

Two generated suites, both deterministic (hypothesis `derandomize`) and bounded:

- `test_api_conforms_to_its_contract`: every operation of the OpenAPI document, with schema-valid
  and schema-violating requests (schemathesis's positive and negative modes), sent with a valid
  team key. Each response must be a documented status with a body that matches its documented
  schema and content type (schemathesis's checks), never a 5xx; requests without the key must be
  refused (401).
- `test_valid_but_edgy_events_are_accepted_and_stored_as_sent`: the request body schema narrowed to
  one event of a registered type (its payload schema in place of `payload: object`), so
  schemathesis generates valid events with edge values (unicode, boundary lengths, extreme
  numbers, every optional field or none). Each must be accepted or a duplicate.

In both, every event the API calls `accepted` is read back from DynamoDB and re-validated against
the published envelope schema (api/schemas/envelope.json, with format checks) and its payload
schema: nothing violating the contract may be stored. The figures for docs/security.md are printed
by `pytest -s` (FUZZ lines).
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from jsonschema import Draft202012Validator, FormatChecker
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from local_platform.gateway import OPENAPI_PATH
from local_platform.provision import provision
from platform_core.aws import client
from platform_core.config import ROOT, ApiLimits, get_config
from platform_core.envelope import Event
from platform_core.registry import get_registry
from platform_core.resources import Resources
from tests.fixtures.aws import RunningGateway, isolated_config, running_gateway

pytestmark = pytest.mark.integration

CONFIG = get_config()
REGISTRY = get_registry()
ENVELOPE = Draft202012Validator(
    json.loads((ROOT / "api" / "schemas" / "envelope.json").read_text(encoding="utf-8")),
    format_checker=FormatChecker(),
)
CONTRACT_EXAMPLES = 40  # per operation and generation mode
VALID_EXAMPLES = 60


def fuzz_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        # One gateway serves every example (a module fixture); the health checks would flag it.
        suppress_health_check=list(HealthCheck),
    )


# The ingest API's operations (the orders API's are fuzzed through their authorizer, in its own tests;
# the document service's routes in tests/integration/test_documents.py).
CONTRACT = schemathesis.openapi.from_path(OPENAPI_PATH).include(path_regex="^/v1/(events|schemas)")


def valid_events_document() -> dict[str, Any]:
    """api/openapi.yaml with POST /v1/events narrowed to one valid event of a registered type."""
    document = yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))
    envelope = json.loads((ROOT / "api" / "schemas" / "envelope.json").read_text(encoding="utf-8"))
    envelope.pop("$schema", None)
    one_of = []
    for schema in REGISTRY:
        properties = {
            **envelope["properties"],
            "event_type": {"const": schema.event_type},
            "schema_version": {"const": schema.version},
            "payload": {
                k: v for k, v in schema.document.items() if not k.startswith("$") and k != "x-business-key"
            },
        }
        one_of.append({**envelope, "properties": properties})
    post = document["paths"]["/v1/events"]["post"]
    post["requestBody"]["content"]["application/json"]["schema"] = {"oneOf": one_of}
    document["paths"] = {"/v1/events": {"post": post}}
    # Response schemas are files next to openapi.yaml: inline them (from_dict has no base path).
    for name, ref in list(document["components"]["schemas"].items()):
        if "$ref" not in ref:
            continue  # written inline in the document
        document["components"]["schemas"][name] = json.loads(
            (OPENAPI_PATH.parent / ref["$ref"]).read_text(encoding="utf-8")
        )
    return document


VALID = schemathesis.openapi.from_dict(
    valid_events_document(), config=SchemathesisConfig.from_dict({"generation": {"mode": "positive"}})
)


class Tally:
    """What the fuzzing did, for the FUZZ lines and the closing assertions."""

    def __init__(self) -> None:
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.verdicts: Counter[str] = Counter()
        self.started = time.monotonic()

    def report(self, name: str) -> str:
        requests_sent = sum(self.statuses.values())
        return (
            f"FUZZ {name}: {requests_sent} requests in {time.monotonic() - self.started:.1f}s; "
            f"statuses {dict(sorted(self.statuses.items()))}; verdicts {dict(self.verdicts)}"
        )


TALLIES = {"contract": Tally(), "valid": Tally()}


@pytest.fixture(scope="module")
def fuzz_gateway(aws_endpoint_url: str) -> Iterator[RunningGateway]:
    """One gateway for every example, with usage plans high enough that throttling never hides a response."""
    resources = Resources(isolated_config(), "dev")
    provision(resources)
    roomy = ApiLimits(rate_limit=100_000, burst_limit=100_000, quota_per_day=10**9)
    with running_gateway(resources, {team: roomy for team in resources.config.teams}) as gateway:
        yield gateway
    for name, tally in TALLIES.items():
        print(tally.report(name))


def assert_accepted_events_honour_the_contract(gateway: RunningGateway, team: str, body: Any) -> None:
    """Every `accepted` event, as stored, validates against the envelope and its payload schema."""
    dynamodb = client("dynamodb")
    for result in body.get("results", []):
        if result["status"] != "accepted":
            continue
        item = dynamodb.get_item(
            TableName=gateway.resources.events_table,
            Key={"pk": {"S": f"{team}#{result['event_id']}"}},
            ConsistentRead=True,
        ).get("Item")
        assert item is not None, f"accepted but not stored: {result}"
        stored = json.loads(item["envelope"]["S"])
        sent = {k: v for k, v in stored.items() if k in ENVELOPE.schema["properties"]}
        errors = [e.message for e in ENVELOPE.iter_errors(sent)]
        assert not errors, (stored, errors)
        assert not REGISTRY.validate_payload(
            stored["event_type"], stored["schema_version"], stored["payload"]
        )
        assert Event.from_json(item["envelope"]["S"]).team == team == item["team"]["S"]


def record(tally: Tally, operation: str, response: Response) -> Any:
    """Count the response; its JSON body, if it has one (schemathesis headers: lower-case names, value lists)."""
    tally.statuses[operation, response.status_code] += 1
    assert response.status_code < 500, f"{operation}: {response.status_code} {response.text[:500]}"
    if response.headers.get("content-type", [""])[0].startswith("application/json"):
        body = response.json()
        for result in body.get("results", []) if isinstance(body, dict) else []:
            tally.verdicts[result["status"]] += 1
        return body
    return None


@CONTRACT.parametrize()
@fuzz_settings(CONTRACT_EXAMPLES)
def test_api_conforms_to_its_contract(case: Any, fuzz_gateway: RunningGateway) -> None:
    team = "orders"
    key = fuzz_gateway.api_keys[team].value
    # The valid key is the default; a header schemathesis generated itself (negative mode: empty,
    # malformed or missing x-api-key) wins, and must then be refused with 401/403.
    response = case.call(base_url=fuzz_gateway.url, headers={"x-api-key": key})
    # Per-event verdicts are the API's design: a batch with one bad event among good ones is a 202
    # with that event rejected, which schemathesis's whole-request negative_data_rejection check
    # would call an acceptance of invalid data; the positive check likewise expects 2xx for a
    # schema-valid batch of events of unregistered types. Both properties are checked per event
    # instead (assert_accepted_events_honour_the_contract, and the second suite below).
    case.validate_response(response, excluded_checks=[negative_data_rejection, positive_data_acceptance])
    body = record(TALLIES["contract"], case.operation.label, response)
    if case.operation.path == "/v1/events" and response.status_code in (202, 400) and body is not None:
        assert_accepted_events_honour_the_contract(fuzz_gateway, team, body)


@VALID.parametrize()
@fuzz_settings(VALID_EXAMPLES)
def test_valid_but_edgy_events_are_accepted_and_stored_as_sent(
    case: Any, fuzz_gateway: RunningGateway
) -> None:
    event = case.body
    # The generator keeps producing the same few UUIDs: an id derived from the rest of the event
    # makes each distinct event new, while an identical event is still a duplicate.
    event["event_id"] = str(
        uuid.uuid5(uuid.NAMESPACE_URL, json.dumps({**event, "event_id": None}, sort_keys=True))
    )
    team = CONFIG.producer_of(event["event_type"])
    assert team is not None
    case.headers = {**(case.headers or {}), "x-api-key": fuzz_gateway.api_keys[team].value}
    response = case.call(base_url=fuzz_gateway.url)
    case.validate_response(response)
    body = record(TALLIES["valid"], "POST /v1/events (valid)", response)
    assert response.status_code == 202, response.text[:500]
    (result,) = body["results"]
    assert result["status"] in ("accepted", "duplicate"), result
    assert_accepted_events_honour_the_contract(fuzz_gateway, team, body)
    if result["status"] == "accepted":
        item = client("dynamodb").get_item(
            TableName=fuzz_gateway.resources.events_table, Key={"pk": {"S": f"{team}#{result['event_id']}"}}
        )["Item"]
        stored = json.loads(item["envelope"]["S"])
        assert stored["payload"] == event["payload"], "the payload must be stored exactly as sent"
