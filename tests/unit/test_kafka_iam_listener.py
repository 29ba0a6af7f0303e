"""The local MSK IAM listener's token checks, on tokens made by AWS's own signer (aws-msk-iam-sasl-signer)."""

from __future__ import annotations

import base64
import time

import pytest
from aws_msk_iam_sasl_signer import MSKAuthTokenProvider
from botocore.credentials import CredentialProvider, Credentials

from local_platform.kafka_iam_listener import InvalidToken, MskIamTokenVerifier, bearer_token

REGION = "eu-west-1"
KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


class _Static(CredentialProvider):
    def __init__(self, key: str, secret: str, token: str | None = None):
        super().__init__()
        self._credentials = Credentials(key, secret, token)

    def load(self) -> Credentials:
        return self._credentials


def signed(key: str = KEY, secret: str = SECRET, region: str = REGION, token: str | None = None) -> str:
    made, _expiry_ms = MSKAuthTokenProvider.generate_auth_token_from_credentials_provider(
        region, _Static(key, secret, token)
    )
    return str(made)


def verifier(offset_seconds: float = 0.0) -> MskIamTokenVerifier:
    return MskIamTokenVerifier({KEY: SECRET}, REGION, clock=lambda: time.time() + offset_seconds)


def _rewrite(token: str, old: str, new: str) -> str:
    url = base64.urlsafe_b64decode(token + "==").decode().replace(old, new)
    return base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def test_a_token_from_the_signer_is_accepted_with_or_without_a_session_token() -> None:
    assert verifier().verify(signed()) == KEY
    assert verifier().verify(signed(token="FwoGZXIvYXdzEXAMPLE")) == KEY


def test_a_token_past_its_lifetime_is_refused() -> None:
    assert verifier(offset_seconds=899).verify(signed()) == KEY
    with pytest.raises(InvalidToken, match="expired"):
        verifier(offset_seconds=901).verify(signed())


def test_a_token_signed_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidToken, match="future"):
        verifier(offset_seconds=-600).verify(signed())


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (lambda: signed(secret="another-secret"), "signature does not match"),
        (lambda: signed(key="AKIDUNKNOWN"), "access key is unknown"),
        (lambda: signed(region="us-east-1"), "not signed for https://kafka.eu-west-1"),
        (
            lambda: _rewrite(signed(), "kafka-cluster%3AConnect", "kafka-cluster%3AAlterCluster"),
            "does not ask for",
        ),
        (lambda: _rewrite(signed(), "X-Amz-Expires=900", "X-Amz-Expires=3600"), "lifetime"),
        (lambda: "not a token at all", "not"),
    ],
)
def test_a_forged_or_foreign_token_is_refused_with_the_reason(token: object, reason: str) -> None:
    assert callable(token)
    with pytest.raises(InvalidToken, match=reason):
        verifier().verify(token())


def test_the_bearer_token_is_read_from_the_oauthbearer_message() -> None:
    assert bearer_token(b"n,,\x01auth=Bearer abc.def\x01\x01") == "abc.def"
    assert bearer_token(b"n,a=user,\x01host=x\x01auth=Bearer t0k\x01ext=1\x01\x01") == "t0k"
    with pytest.raises(InvalidToken):
        bearer_token(b"n,,\x01\x01")
