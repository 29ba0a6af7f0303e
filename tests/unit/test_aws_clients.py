import pytest

from platform_core.aws import client


def test_clients_are_reused_per_endpoint_and_renewed_when_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111")
    first = client("sqs")
    assert client("sqs") is first
    assert first.meta.endpoint_url == "http://127.0.0.1:1111"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2222")
    assert client("sqs").meta.endpoint_url == "http://127.0.0.1:2222"
