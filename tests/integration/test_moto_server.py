"""The local AWS endpoint keeps DynamoDB's guarantee the platform's idempotency rests on: a conditional
write is atomic, so concurrent copies of one write make one item, whatever the interleaving."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from platform_core.aws import client

pytestmark = pytest.mark.integration

KEYS = 40
COPIES = 16


def test_concurrent_conditional_puts_of_one_key_make_one_item(aws_endpoint_url: str) -> None:
    dynamodb = client("dynamodb")
    table = f"atomic-{threading.get_ident()}"
    dynamodb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )

    def put(key: int) -> bool:
        try:
            dynamodb.put_item(
                TableName=table,
                Item={"pk": {"S": f"k{key}"}},
                ConditionExpression="attribute_not_exists(pk)",
            )
            return True
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ConditionalCheckFailedException"
            return False

    with ThreadPoolExecutor(COPIES * 2) as pool:
        written = list(pool.map(put, [key for key in range(KEYS) for _ in range(COPIES)]))
    assert sum(written) == KEYS  # one success per key, every other copy refused
