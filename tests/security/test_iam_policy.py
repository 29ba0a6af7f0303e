"""The policy evaluator and template renderer of iam_policy.py, against IAM's documented semantics."""

from __future__ import annotations

from typing import Any

import pytest

from tests.security.iam_policy import Decision, Request, evaluate, render_template


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW_GET = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/team=a/*"}


def test_allow_needs_action_and_resource() -> None:
    assert evaluate([policy(ALLOW_GET)], Request("s3:GetObject", "arn:aws:s3:::b/team=a/x")).allowed
    assert evaluate([policy(ALLOW_GET)], Request("s3:GetObject", "arn:aws:s3:::b/team=b/x")) is (
        Decision.IMPLICIT_DENY
    )
    assert evaluate([policy(ALLOW_GET)], Request("s3:PutObject", "arn:aws:s3:::b/team=a/x")) is (
        Decision.IMPLICIT_DENY
    )


def test_actions_are_case_insensitive_resources_are_not() -> None:
    assert evaluate([policy(ALLOW_GET)], Request("S3:getobject", "arn:aws:s3:::b/team=a/x")).allowed
    assert not evaluate([policy(ALLOW_GET)], Request("s3:GetObject", "arn:aws:s3:::B/team=a/x")).allowed


def test_wildcards_star_and_question_mark_only() -> None:
    statement = {"Effect": "Allow", "Action": "sqs:Get*", "Resource": "arn:aws:sqs:*:1:q?"}
    assert evaluate([policy(statement)], Request("sqs:GetQueueUrl", "arn:aws:sqs:eu-west-1:1:q1")).allowed
    assert not evaluate(
        [policy(statement)], Request("sqs:GetQueueUrl", "arn:aws:sqs:eu-west-1:1:q12")
    ).allowed
    dotted = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::a.b/*"}
    assert not evaluate([policy(dotted)], Request("s3:GetObject", "arn:aws:s3:::aXb/k")).allowed


def test_explicit_deny_wins_across_policies() -> None:
    deny = {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
    request = Request("s3:GetObject", "arn:aws:s3:::b/team=a/x")
    assert evaluate([policy(ALLOW_GET), policy(deny)], request) is Decision.EXPLICIT_DENY


def test_not_action_and_not_resource() -> None:
    statement = {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::secret/*"}
    assert evaluate([policy(statement)], Request("s3:GetObject", "arn:aws:s3:::open/k")).allowed
    assert not evaluate([policy(statement)], Request("iam:PassRole", "arn:aws:iam::1:role/r")).allowed
    assert not evaluate([policy(statement)], Request("s3:GetObject", "arn:aws:s3:::secret/k")).allowed


def test_conditions_missing_key_fails_and_values_are_or_keys_are_and() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::b",
        "Condition": {
            "StringLike": {"s3:prefix": ["team=a/", "team=a/*"]},
            "Bool": {"aws:SecureTransport": "true"},
        },
    }
    ok = {"s3:prefix": "team=a/x/", "aws:SecureTransport": "true"}
    assert evaluate([policy(statement)], Request("s3:ListBucket", "arn:aws:s3:::b", ok)).allowed
    for context in (
        {"s3:prefix": "team=b/", "aws:SecureTransport": "true"},
        {"s3:prefix": "team=a/"},
        {"aws:SecureTransport": "true"},
        {"s3:prefix": "team=a/", "aws:SecureTransport": "false"},
    ):
        assert not evaluate([policy(statement)], Request("s3:ListBucket", "arn:aws:s3:::b", context)).allowed


def test_string_equals_is_exact_and_if_exists_passes_on_a_missing_key() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": "k",
        "Condition": {"StringEqualsIfExists": {"kms:ViaService": "sqs.eu-west-1.amazonaws.com"}},
    }
    assert evaluate([policy(statement)], Request("kms:Decrypt", "k", {})).allowed
    assert not evaluate(
        [policy(statement)], Request("kms:Decrypt", "k", {"kms:ViaService": "sqs.eu-west-1.amazonaws.com*"})
    ).allowed


def test_set_qualifiers() -> None:
    def with_condition(operator: str) -> dict[str, Any]:
        return {
            "Effect": "Allow",
            "Action": "a:B",
            "Resource": "r",
            "Condition": {operator: {"k": ["x", "y"]}},
        }

    assert evaluate(
        [policy(with_condition("ForAnyValue:StringEquals"))], Request("a:B", "r", {"k": ["z", "y"]})
    ).allowed
    assert not evaluate(
        [policy(with_condition("ForAllValues:StringEquals"))], Request("a:B", "r", {"k": ["z", "y"]})
    ).allowed
    assert evaluate([policy(with_condition("ForAllValues:StringEquals"))], Request("a:B", "r", {})).allowed
    with pytest.raises(ValueError, match="multivalued"):
        evaluate([policy(with_condition("StringEquals"))], Request("a:B", "r", {"k": ["x", "y"]}))


def test_negated_operators() -> None:
    statement = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
    }
    allow_all = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    here = Request("s3:GetObject", "arn:aws:s3:::b/k", {"aws:RequestedRegion": "eu-west-1"})
    there = Request("s3:GetObject", "arn:aws:s3:::b/k", {"aws:RequestedRegion": "us-east-1"})
    assert evaluate([policy(allow_all, statement)], here).allowed
    assert evaluate([policy(allow_all, statement)], there) is Decision.EXPLICIT_DENY


def test_unknown_operators_raise_rather_than_pass() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "a:B",
        "Resource": "r",
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    }
    with pytest.raises(ValueError, match="IpAddress"):
        evaluate([policy(statement)], Request("a:B", "r", {"aws:SourceIp": "10.1.1.1"}))


def test_renderer_supports_only_what_the_template_uses() -> None:
    assert render_template('{"a": "${x}", "b": ${jsonencode(y)}}', {"x": "v", "y": ["p", "q"]}) == (
        '{"a": "v", "b": ["p","q"]}'
    )
    for unsupported in ('"${upper(x)}"', "%{ if x }a%{ endif }", '"${y}"'):
        with pytest.raises(ValueError):
            render_template(unsupported, {"x": "v", "y": ["p"]})
