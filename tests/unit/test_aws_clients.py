import pytest

from platform_core.aws import client, endpoint_variable


def test_clients_are_reused_per_endpoint_and_renewed_when_it_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111")
    first = client("sqs")
    assert client("sqs") is first
    assert first.meta.endpoint_url == "http://127.0.0.1:1111"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:2222")
    assert client("sqs").meta.endpoint_url == "http://127.0.0.1:2222"


@pytest.mark.parametrize(
    ("service", "variable"),
    [
        ("sqs", "AWS_ENDPOINT_URL_SQS"),
        ("pinpoint-sms-voice-v2", "AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2"),
        ("events", "AWS_ENDPOINT_URL_EVENTBRIDGE"),
        ("cognito-idp", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"),
        ("apigateway", "AWS_ENDPOINT_URL_API_GATEWAY"),
    ],
)
def test_a_services_own_endpoint_variable_is_the_one_boto3_reads(
    monkeypatch: pytest.MonkeyPatch, service: str, variable: str
) -> None:
    assert endpoint_variable(service) == variable
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111")
    monkeypatch.setenv(variable, "http://127.0.0.1:3333")
    assert client(service).meta.endpoint_url == "http://127.0.0.1:3333"  # boto3 read it


def test_a_new_endpoint_for_one_service_gets_a_new_client(monkeypatch: pytest.MonkeyPatch) -> None:
    # The local SMS capture moves when a second local platform starts; the shared endpoint does not.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1111")
    monkeypatch.setenv("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", "http://127.0.0.1:4444")
    first = client("pinpoint-sms-voice-v2")
    monkeypatch.setenv("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", "http://127.0.0.1:5555")
    assert client("pinpoint-sms-voice-v2").meta.endpoint_url == "http://127.0.0.1:5555"
    assert first.meta.endpoint_url == "http://127.0.0.1:4444"
