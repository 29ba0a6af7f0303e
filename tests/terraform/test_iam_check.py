"""The IAM check (scripts/terraform/iam_check.py) finds planted wildcards in every policy syntax,
lets through only listed exceptions, flags stale ones, and passes on the repository as it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.terraform.hcl import load_all, load_configuration
from scripts.terraform.iam_check import check_iam, render_placeholders

PLANTED = """
data "aws_iam_policy_document" "wide" {
  statement {
    sid       = "AllS3"
    actions   = ["s3:*"]
    resources = ["arn:aws:s3:::bucket/*"]
  }

  statement {
    sid       = "Everything"
    actions   = ["*"]
    resources = ["*"]
  }

  statement {
    actions   = ["sqs:ReceiveMessage"]
    resources = ["*"]
  }

  statement {
    sid         = "AllButIam"
    not_actions = ["iam:*"]
    resources   = ["arn:aws:s3:::bucket"]
  }

  statement {
    sid       = "DenyIsFine"
    effect    = "Deny"
    actions   = ["*"]
    resources = ["*"]
  }

  statement {
    sid       = "Scoped"
    actions   = ["s3:GetObject", "kms:GenerateDataKey*"]
    resources = ["arn:aws:s3:::bucket/team=a/*", var.key_arn]
  }

  dynamic "statement" {
    for_each = var.vpc ? [1] : []

    content {
      sid       = "DynamicWide"
      actions   = ["ec2:CreateNetworkInterface"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "inline" {
  name = "inline"
  role = "r"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Sid = "InlineStar", Effect = "Allow", Action = "dynamodb:*", Resource = var.table_arn }]
  })
}

resource "aws_iam_policy" "heredoc" {
  name   = "heredoc"
  policy = <<-EOT
    {"Version": "2012-10-17", "Statement": [{"Sid": "HeredocStar", "Effect": "Allow", "Action": "logs:PutLogEvents", "NotResource": "arn:aws:logs:*:*:log-group:secret"}]}
  EOT
}

resource "aws_iam_role_policy_attachment" "admin" {
  role       = "r"
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AdministratorAccess"
}

locals {
  managed = { ops = { arn = "arn:aws:iam::aws:policy/PowerUserAccess" } }
}

resource "aws_iam_role_policy_attachment" "from_map" {
  for_each   = local.managed
  role       = "r"
  policy_arn = each.value.arn
}

resource "aws_iam_role_policy_attachment" "own" {
  role       = "r"
  policy_arn = aws_iam_policy.heredoc.arn
}
"""

TEMPLATE = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "TemplatedScoped", "Effect": "Allow", "Action": ["sqs:ReceiveMessage"], "Resource": ${jsonencode(queue_arns)}},
    {"Sid": "TemplatedStar", "Effect": "Allow", "Action": ["athena:*"], "Resource": "arn:aws:athena:${region}:1:workgroup/*"},
    {"Sid": "TemplatedAny", "Effect": "Allow", "Action": ["glue:GetTable"], "Resource": "*"}
  ]
}
"""


def planted_repository(root: Path, exceptions: str = "exceptions: []\n") -> tuple[list[str], str]:
    module = root / "modules" / "planted"
    (module / "policies").mkdir(parents=True)
    (module / "main.tf").write_text(PLANTED)
    (module / "policies" / "p.json.tftpl").write_text(TEMPLATE)
    (root / "exceptions.yaml").write_text(exceptions)
    return check_iam([load_configuration(module)], root, root / "exceptions.yaml")


def test_every_planted_wildcard_is_found_and_nothing_else(tmp_path: Path) -> None:
    problems, summary = planted_repository(tmp_path)
    doc, tf, tpl = (
        "data.aws_iam_policy_document.wide",
        "modules/planted/main.tf",
        "modules/planted/policies/p.json.tftpl",
    )
    expected = {
        f"{tf}: {doc}: statement 'AllS3': wildcard actions s3:*",
        f"{tf}: {doc}: statement 'Everything': wildcard actions *",
        f"{tf}: {doc}: statement 'Everything': Resource \"*\"",
        f'{tf}: {doc}: a statement without a Sid (add one to except it): Resource "*"',
        f"{tf}: {doc}: statement 'AllButIam': Allow with NotAction (grants every other action)",
        f"{tf}: {doc}: statement 'DynamicWide': Resource \"*\"",
        f"{tf}: aws_iam_role_policy.inline: statement 'InlineStar': wildcard actions dynamodb:*",
        f"{tf}: aws_iam_policy.heredoc: statement 'HeredocStar': Allow with NotResource (grants every other resource)",
        f"{tf}: aws_iam_role_policy_attachment.admin: statement 'AdministratorAccess': AWS managed policy (its statements are AWS's, not checked here)",
        f"{tf}: aws_iam_role_policy_attachment.from_map: statement 'PowerUserAccess': AWS managed policy (its statements are AWS's, not checked here)",
        f"{tpl}: {tpl}: statement 'TemplatedStar': wildcard actions athena:*",
        f"{tpl}: {tpl}: statement 'TemplatedAny': Resource \"*\"",
    }
    assert set(problems) == expected
    assert len(problems) == len(expected)
    assert summary.startswith("11 Allow statements, 0 findings excepted")


def test_listed_exceptions_pass_and_stale_or_reasonless_ones_fail(tmp_path: Path) -> None:
    exceptions = """
exceptions:
  - file: modules/planted/main.tf
    address: data.aws_iam_policy_document.wide
    name: Everything
    reason: planted for the test
  - file: modules/planted/policies/p.json.tftpl
    address: modules/planted/policies/p.json.tftpl
    name: TemplatedAny
    reason: glue:GetTable on every table, for the test
  - file: modules/planted/main.tf
    address: data.aws_iam_policy_document.wide
    name: NoSuchStatement
    reason: stale
  - file: modules/planted/main.tf
    address: aws_iam_role_policy_attachment.admin
    name: AdministratorAccess
    reason: ""
"""
    problems, summary = planted_repository(tmp_path, exceptions)
    assert not [p for p in problems if "'Everything'" in p or "'TemplatedAny'" in p]
    assert any("'NoSuchStatement' matches no finding (remove it)" in p for p in problems)
    assert any("exception #4 lacks reason" in p for p in problems)
    assert any("'AdministratorAccess'" in p for p in problems), (
        "an exception without a reason excepts nothing"
    )
    assert "3 findings excepted with a reason, 3 exceptions" in summary


def test_a_template_that_does_not_parse_is_a_problem_not_a_pass(tmp_path: Path) -> None:
    module = tmp_path / "modules" / "broken"
    module.mkdir(parents=True)
    (module / "policy.json.tftpl").write_text('{"Statement": [%{ for a in arns }"${a}",%{ endfor }]}')
    (tmp_path / "exceptions.yaml").write_text("exceptions: []\n")
    problems, _ = check_iam([], tmp_path, tmp_path / "exceptions.yaml")
    assert problems and "is not JSON once interpolations are filled" in problems[0]


@pytest.mark.parametrize(
    ("template", "rendered"),
    [
        ('"arn:${partition}:s3:::${bucket}/*"', '"arn:TEMPLATED:s3:::TEMPLATED/*"'),
        ("${jsonencode(queue_arns)}", '"TEMPLATED"'),
        ('"$${literal}"', '"$${literal}"'),
    ],
)
def test_placeholders(template: str, rendered: str) -> None:
    assert render_placeholders(template) == rendered


def test_the_repository_passes() -> None:
    """The same check `make test` runs through scripts/terraform/check.py."""
    problems, summary = check_iam(load_all())
    assert problems == []
    assert "findings excepted with a reason" in summary
