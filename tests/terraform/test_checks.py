"""The offline Terraform checks catch what they claim to catch, and nothing in correct code.

tests/terraform/fixtures/broken plants one mistake per kind; fixtures/clean
writes the same shapes correctly and must come out clean.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from scripts.terraform import check
from scripts.terraform.extract_provider_schema import (
    SCHEMA_PATH,
    camel_to_snake,
    convert_assembly,
    load_assembly,
    terraform_name,
    write_schema,
)
from scripts.terraform.extract_provider_schema import main as extract_main
from scripts.terraform.hcl import (
    aws_version_constraints,
    load_configuration,
    template_expressions,
    version_satisfies,
)
from scripts.terraform.schema_check import check_schema, load_schema
from scripts.terraform.wiring import check_wiring

FIXTURES = Path(__file__).parent / "fixtures"


def _problems(fixture: str) -> tuple[list[str], list[str]]:
    configs = [load_configuration(FIXTURES / fixture)]
    assert configs[0].parse_errors == []
    wiring, _ = check_wiring(configs)
    schema, _ = check_schema(configs, load_schema())
    return wiring, schema


def _one(problems: list[str], *needles: str) -> str:
    found = [p for p in problems if all(n in p for n in needles)]
    assert len(found) == 1, f"expected one problem with {needles}, got {found} in {problems}"
    return found[0]


# --- name conversion ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("jsii", "terraform"),
    [
        ("bucket", "bucket"),
        ("ipv6CidrBlock", "ipv6_cidr_block"),
        ("assignIpv6AddressOnCreation", "assign_ipv6_address_on_creation"),
        ("s3Bucket", "s3_bucket"),
        ("s3Key", "s3_key"),
        ("httpPutResponseHopLimit", "http_put_response_hop_limit"),
        ("enableDns64", "enable_dns64"),
        ("kmsKeyArn", "kms_key_arn"),
        ("pointInTimeRecovery", "point_in_time_recovery"),
        ("maximumRetryAttempts", "maximum_retry_attempts"),
        ("bisectBatchOnFunctionError", "bisect_batch_on_function_error"),
        ("ec2InboundPermission", "ec2_inbound_permission"),
        ("http2Enabled", "http2_enabled"),
    ],
)
def test_camel_to_snake(jsii: str, terraform: str) -> None:
    assert camel_to_snake(jsii) == terraform


def _prop(name: str, anchor: str | None) -> dict[str, object]:
    link = f"{{@link https://registry.terraform.io/providers/hashicorp/aws/6.69.1/docs/resources/x#{anchor} X#{anchor}}}"
    return {"name": name, "docs": {"summary": f"Docs at Terraform Registry: {link}." if anchor else ""}}


@pytest.mark.parametrize(
    ("jsii", "anchor"),
    [
        # The lossy cases: the generator's camelCase cannot be inverted, the docs anchor can.
        ("addressLine1", "address_line_1"),
        ("selfAttribute", "self"),
        ("fetchPasswordData", "get_password_data"),
        ("saslScram512Auth", "sasl_scram_512_auth"),
        ("s3UsEast1RegionalEndpoint", "s3_us_east_1_regional_endpoint"),
        ("ipv6CidrBlock", "ipv6_cidr_block"),
    ],
)
def test_terraform_name_prefers_the_registry_anchor(jsii: str, anchor: str) -> None:
    assert terraform_name(_prop(jsii, anchor)) == anchor


def test_terraform_name_falls_back_to_the_conversion() -> None:
    assert terraform_name(_prop("httpPutResponseHopLimit", None)) == "http_put_response_hop_limit"


# --- jsii conversion --------------------------------------------------------------------------

_BASE = "https://registry.terraform.io/providers/hashicorp/aws/6.69.1/docs"


def _attr(
    name: str, tf: str, optional: bool = True, type_: object = None, block: bool = False
) -> dict[str, object]:
    summary = (
        f"{tf} block." if block else f"Docs at Terraform Registry: {{@link {_BASE}/resources/r#{tf} R#{tf}}}."
    )
    remarks = f"Docs at Terraform Registry: {{@link {_BASE}/resources/r#{tf} R#{tf}}}" if block else ""
    prop: dict[str, object] = {
        "name": name,
        "docs": {"summary": summary, "remarks": remarks},
        "type": type_ or {"primitive": "string"},
    }
    if optional:
        prop["optional"] = True
    return prop


def _class(fqn: str, base: str, url: str, tf_type: str, config: str) -> dict[str, object]:
    getters = [
        {"name": "tfResourceType", "static": True},
        {"name": "arn"},  # exported only
        {"name": "ipv6CidrBlock"},  # an argument's getter
        {"name": "nameInput"},  # what cdktn was given, not an attribute
        {"name": "addressLine1Attribute"},
    ]
    return {
        "kind": "class",
        "properties": getters,
        "fqn": fqn,
        "base": base,
        "docs": {"summary": f"Represents a {{@link {url} {tf_type}}}."},
        "initializer": {"parameters": [{"name": "scope"}, {"name": "config", "type": {"fqn": config}}]},
    }


def _assembly() -> dict[str, object]:
    p = "@cdktn/provider-aws."
    struct_array = {
        "union": {
            "types": [
                {"fqn": "cdktn.IResolvable"},
                {"collection": {"kind": "array", "elementtype": {"fqn": p + "widget.WidgetRule"}}},
            ]
        }
    }
    return {
        "version": "25.8.1",
        "readme": {"markdown": "# CDKTN prebuilt bindings for hashicorp/aws provider version 6.69.1"},
        "types": {
            p + "widget.Widget": _class(
                p + "widget.Widget",
                "cdktn.TerraformResource",
                f"{_BASE}/resources/widget",
                "aws_widget",
                p + "widget.WidgetConfig",
            ),
            p + "widget.WidgetConfig": {
                "kind": "interface",
                "datatype": True,
                "properties": [
                    _attr("name", "name", optional=False),
                    _attr("ipv6CidrBlock", "ipv6_cidr_block"),
                    _attr("rule", "rule", optional=False, type_=struct_array, block=True),
                    _attr(
                        "versioning", "versioning", type_={"fqn": p + "widget.WidgetVersioning"}, block=True
                    ),
                ],
            },
            p + "widget.WidgetRule": {
                "kind": "interface",
                "datatype": True,
                "properties": [_attr("addressLine1", "address_line_1", optional=False)],
            },
            p + "widget.WidgetVersioning": {
                "kind": "interface",
                "datatype": True,
                "properties": [_attr("enabled", "enabled")],
            },
            p + "dataAwsWidget.DataAwsWidget": _class(
                p + "dataAwsWidget.DataAwsWidget",
                "cdktn.TerraformDataSource",
                f"{_BASE}/data-sources/widget",
                "aws_widget",
                p + "dataAwsWidget.DataAwsWidgetConfig",
            ),
            p + "dataAwsWidget.DataAwsWidgetConfig": {
                "kind": "interface",
                "datatype": True,
                "properties": [_attr("id", "id")],
            },
            p + "provider.AwsProvider": _class(
                p + "provider.AwsProvider",
                "cdktn.TerraformProvider",
                _BASE,
                "aws",
                p + "provider.AwsProviderConfig",
            ),
            p + "provider.AwsProviderConfig": {
                "kind": "interface",
                "datatype": True,
                "properties": [_attr("region", "region")],
            },
        },
    }


def test_convert_assembly() -> None:
    schema = convert_assembly(_assembly())
    assert schema["provider_version"] == "6.69.1"
    assert schema["package"] == "cdktn-provider-aws==25.8.1"
    widget = schema["resources"]["aws_widget"]
    assert widget["attributes"] == {"ipv6_cidr_block": {"required": False}, "name": {"required": True}}
    assert widget["blocks"]["rule"] == {
        "attributes": {"address_line_1": {"required": True}},
        "blocks": {},
        "required": True,
    }
    assert widget["blocks"]["versioning"]["single"] is True
    assert widget["computed"] == ["address_line1_attribute", "arn"]
    assert schema["data_sources"]["aws_widget"]["attributes"] == {"id": {"required": False}}
    assert schema["provider_config"]["attributes"] == {"region": {"required": False}}
    assert schema["renamed_properties"] == ["addressLine1->address_line_1"]


def test_load_assembly_follows_a_gzip_file_redirect(tmp_path: Path) -> None:
    (tmp_path / ".jsii.gz").write_bytes(gzip.compress(json.dumps(_assembly()).encode()))
    redirect = {"schema": "jsii/file-redirect", "compression": "gzip", "filename": ".jsii.gz"}
    (tmp_path / ".jsii").write_text(json.dumps(redirect))
    assert convert_assembly(load_assembly(tmp_path / ".jsii"))["resources"].keys() == {"aws_widget"}


def test_written_schema_is_byte_for_byte_stable(tmp_path: Path) -> None:
    schema = convert_assembly(_assembly())
    write_schema(schema, tmp_path / "a.json.gz")
    write_schema(schema, tmp_path / "b.json.gz")
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()


# --- the committed schema ---------------------------------------------------------------------


def test_committed_schema_matches_the_pinned_provider() -> None:
    schema = load_schema()
    constraints = aws_version_constraints()
    assert constraints, "no hashicorp/aws version constraint found in terraform/ or modules/"
    for where, constraint in constraints:
        assert version_satisfies(schema["provider_version"], constraint), where


def test_committed_schema_knows_real_arguments() -> None:
    resources = load_schema()["resources"]
    assert "ipv6_cidr_block" in resources["aws_subnet"]["attributes"]
    assert (
        "http_put_response_hop_limit" in resources["aws_instance"]["blocks"]["metadata_options"]["attributes"]
    )
    assert resources["aws_lambda_function"]["attributes"]["role"] == {"required": True}
    assert resources["aws_lambda_function"]["attributes"]["s3_bucket"] == {"required": False}
    assert resources["aws_dynamodb_table"]["blocks"]["attribute"]["attributes"]["type"] == {"required": True}
    stream = resources["aws_lambda_event_source_mapping"]
    assert stream["blocks"]["destination_config"]["blocks"]["on_failure"]["attributes"][
        "destination_arn"
    ] == {"required": True}
    assert stream["blocks"]["filter_criteria"]["single"] is True
    ingress = resources["aws_security_group"]["attributes"]["ingress"]
    assert "from_port" in ingress["object"]["attributes"]
    assert "statement" in load_schema()["data_sources"]["aws_iam_policy_document"]["blocks"]


@pytest.mark.slow
def test_committed_schema_is_what_the_extractor_gives(tmp_path: Path) -> None:
    """Downloads the cdktn-provider-aws wheel (70 MB) and regenerates the schema: same bytes."""
    output = tmp_path / "schema.json.gz"
    assert extract_main(["--output", str(output)]) == 0
    assert output.read_bytes() == SCHEMA_PATH.read_bytes()


@pytest.mark.parametrize(
    ("version", "constraint", "ok"),
    [
        ("6.69.1", "~> 6.0", True),
        ("7.0.0", "~> 6.0", False),
        ("6.69.1", "~> 6.69.0", True),
        ("6.70.0", "~> 6.69.0", False),
        ("6.69.1", ">= 6.0, < 7.0", True),
        ("5.99.0", ">= 6.0", False),
        ("6.69.1", "= 6.69.1", True),
        ("6.69.1", "!= 6.69.1", False),
    ],
)
def test_version_satisfies(version: str, constraint: str, ok: bool) -> None:
    assert version_satisfies(version, constraint) is ok


# --- HCL references ---------------------------------------------------------------------------


def test_template_expressions() -> None:
    text = "x-${var.a}-$${literal}-%{if local.b}y%{endif}-${ {k = module.m.out} }"
    assert template_expressions(text) == ["var.a", "if local.b", "endif", " {k = module.m.out} "]


# --- wiring and schema on the fixtures --------------------------------------------------------


def test_clean_fixture_has_no_problems() -> None:
    assert _problems("clean") == ([], [])


def test_wiring_catches_the_planted_mistakes() -> None:
    wiring, _ = _problems("broken")
    assert "main.tf:3:" in _one(wiring, "module.child", "no variable 'colour'")
    _one(wiring, "module.child", "required variable 'name' is not passed")
    _one(wiring, "module.child.arn", "has no output 'arn'")
    _one(wiring, "var.nope is not declared")
    _one(wiring, "local.nope is not declared")
    _one(wiring, "module.ghost is referenced but not declared")
    _one(wiring, "aws_sqs_queue.ghost is referenced but not declared")
    _one(wiring, "module.children.id", "module.children has count/for_each, index it")
    _one(wiring, "aws_sqs_queue.many.arn", "aws_sqs_queue.many has count/for_each, index it")
    _one(wiring, "module.child", "the module needs provider aws.archive")
    _one(wiring, "module.children", "provider aws.nowhere is not configured here")
    _one(wiring, "module.children", "declares no configuration_aliases entry aws.extra")
    _one(wiring, "aws_sqs_queue.dlq", "provider aws.elsewhere is not configured here")
    _one(wiring, "broken/terraform.tfvars: sets 'bucket_name', which is not a declared variable")
    _one(wiring, "moved to module.child.aws_sqs_queue.nowhere, which is not declared")
    _one(wiring, "moved from aws_s3_bucket.data, which is still declared")
    _one(wiring, "moved to aws_s3_bucket.renamed, which is not declared")
    assert len(wiring) == 17


def test_schema_catches_the_planted_mistakes() -> None:
    _, schema = _problems("broken")
    _one(schema, "aws_s3_bucket.data", "unsupported argument or block 'bucket_name'")
    _one(schema, "aws_lambda_function.fn", "missing required argument 'role'")
    _one(schema, "aws_lambda_function.fn", "environment is a block")
    _one(schema, "aws_dynamodb_table.events.attribute", "missing required argument 'type'")
    _one(schema, "aws_dynamodb_table.events.point_in_time_recovery", "'enabeld'")
    _one(schema, "aws_dynamodb_table.events.point_in_time_recovery", "'retention_days'")
    _one(schema, "aws_dynamodb_table.events", "unsupported block type 'ttl_settings' (dynamic)")
    _one(schema, "has no resource type 'aws_s3_bucket_versionning'")
    _one(schema, "provider.aws", "'regoin'")
    _one(schema, "aws_s3_bucket.data.bucket_arn", "aws_s3_bucket has no attribute 'bucket_arn'")
    _one(schema, "aws_security_group.typo.ingress", "'from_prot'")
    assert len(schema) == 11


def test_schema_reports_a_provider_that_does_not_satisfy_the_pin(tmp_path: Path) -> None:
    (tmp_path / "versions.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws", version = "~> 6.0" }\n  }\n}\n'
    )
    configs = [load_configuration(tmp_path)]
    assert check_schema(configs, load_schema())[0] == []
    problems, _ = check_schema(configs, dict(load_schema(), provider_version="5.100.0"))
    assert len(problems) == 1
    assert "versions.tf:1" in problems[0]
    assert "does not satisfy '~> 6.0'" in problems[0]


# --- terraform fmt and terraform test ---------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A minimal repository: one provider-free module with a test, one module needing aws."""
    shutil.copytree(FIXTURES / "pure", tmp_path / "modules" / "pure")
    shutil.copytree(FIXTURES / "clean", tmp_path / "modules" / "needs_aws")
    (tmp_path / "terraform").mkdir()
    return tmp_path


@pytest.mark.skipif(shutil.which("terraform") is None, reason="needs the terraform CLI")
def test_module_tests_run_only_provider_free_modules(repo: Path) -> None:
    configs = [load_configuration(repo / "modules" / name) for name in ("pure", "needs_aws")]
    results = check.check_module_tests(repo, configs)
    assert [r.name for r in results] == [f"terraform test {repo}/modules/pure"]
    assert results[0].ok, results[0].problems
    assert "1 passed, 0 failed" in results[0].detail


@pytest.mark.skipif(shutil.which("terraform") is None, reason="needs the terraform CLI")
def test_module_tests_report_a_failing_assertion(repo: Path) -> None:
    test_file = repo / "modules" / "pure" / "tests" / "pure.tftest.hcl"
    test_file.write_text(test_file.read_text().replace('== "a-b"', '== "a_b"'))
    [result] = check.check_module_tests(repo, [load_configuration(repo / "modules" / "pure")])
    assert not result.ok
    assert any('run "joins"... fail' in p for p in result.problems)


@pytest.mark.skipif(shutil.which("terraform") is None, reason="needs the terraform CLI")
def test_fmt_reports_unformatted_files(repo: Path) -> None:
    assert check.check_fmt(repo).ok
    main = repo / "modules" / "pure" / "main.tf"
    main.write_text(
        main.read_text().replace('description = "Words to join."', 'description="Words to join."')
    )
    result = check.check_fmt(repo)
    assert result.problems == ["modules/pure/main.tf: not formatted (run terraform fmt -recursive)"]


# --- checkov ----------------------------------------------------------------------------------


@pytest.mark.skipif(not check.CHECKOV.exists(), reason="needs .venv-checkov (make setup)")
def test_checkov_reports_failed_checks_and_skips_without_reason(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "insecure", tmp_path / "modules" / "insecure")
    shutil.copy(check.REPO_ROOT / ".checkov.yaml", tmp_path / ".checkov.yaml")
    result = check.finish_checkov(check.start_checkov(tmp_path), tmp_path)
    assert not result.ok
    where = "modules/insecure/main.tf:4: aws_cloudwatch_log_group.logs: "
    assert f"{where}CKV_AWS_158 Ensure that CloudWatch Log Group is encrypted by KMS" in result.problems
    assert any(p.startswith(f"{where}CKV_AWS_338") for p in result.problems)
    _one(result.problems, "aws_sqs_queue.queue", "skip of CKV_AWS_27 has no reason")
    assert "1 skipped" in result.detail


def test_checkov_config_skips_need_a_reason(tmp_path: Path) -> None:
    config = tmp_path / ".checkov.yaml"
    config.write_text("skip-check:\n  - CKV_AWS_1  # a reason\n  - CKV_AWS_2\n  - CKV_AWS_3 #\n")
    assert check.config_skips_without_reason(config) == [
        ".checkov.yaml: skip of CKV_AWS_2 has no reason (write `- CKV_AWS_2  # why`)",
        ".checkov.yaml: skip of CKV_AWS_3 has no reason (write `- CKV_AWS_3  # why`)",
    ]


def test_checkov_output_with_one_document_per_directory() -> None:
    text = '{"passed": 0, "failed": 0}\n{"check_type": "terraform", "summary": {"passed": 2}}\n'
    assert check._json_documents(text) == [
        {"passed": 0, "failed": 0},
        {"check_type": "terraform", "summary": {"passed": 2}},
    ]


# --- the report -------------------------------------------------------------------------------


def test_report_closes_with_the_counts_and_fails_on_any_failure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    results = [check.Result("a", detail="fine"), check.Result("b", ["x.tf:1: broken\nsecond line"])]
    monkeypatch.setattr(check, "run", lambda root, **_: (results, []))
    assert check.main([]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == ["PASS  a  (fine)", "FAIL  b", "      x.tf:1: broken", "      second line"]
    assert out[-1] == "terraform: 1 passed, 1 failed"
    monkeypatch.setattr(check, "run", lambda root, **_: (results[:1], []))
    assert check.main(["--no-checkov"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "terraform: 1 passed, 0 failed"
