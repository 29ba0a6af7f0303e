"""The ASL check renders every state machine definition as Terraform would and validates it.

fixtures/state_machines holds a correct definition from a template file and one written in HCL
with a planted mistake (a transition to a missing state); the repository's own definitions
must be valid.
"""

from __future__ import annotations

from pathlib import Path

from scripts.terraform.asl import check_state_machines, definitions, validate
from scripts.terraform.hcl import load_all, load_configuration

FIXTURE = Path(__file__).parent / "fixtures" / "state_machines"


def test_definitions_are_rendered_with_placeholders() -> None:
    rendered, problems = definitions([load_configuration(FIXTURE)])
    assert problems == []
    by_name = {d.where.rsplit(".", 1)[1]: d.text for d in rendered}
    assert '"Resource": "arn:aws:states:::sns:publish"' in by_name["good"]
    assert '"TopicArn": "placeholder"' in by_name["good"]
    assert '"Resource":"arn:aws:states:::sns:publish"' in by_name["broken"]


def test_the_planted_mistake_fails_and_the_template_passes() -> None:
    problems, summary = check_state_machines([load_configuration(FIXTURE)])
    assert summary == "2 state machine definitions, asl-validator"
    assert problems, "the broken definition must fail"
    assert all("aws_sfn_state_machine.broken" in p for p in problems)
    assert any("Failed" in p for p in problems), problems


def test_a_definition_that_is_not_asl_fails() -> None:
    assert validate('{"StartAt": "Nowhere", "States": {}}')
    assert validate('{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}') == []


def test_the_repository_state_machines_are_valid() -> None:
    problems, summary = check_state_machines(load_all())
    assert problems == []
    assert not summary.startswith("0 ")
