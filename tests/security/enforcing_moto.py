"""A moto server of a test module's own that enforces IAM: each user signs with its own key and is
allowed only what its policy allows (moto checks the signature, the action, and the resource for
S3), and the AWS error code of a call as such a server answers it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from local_platform.aws_endpoint import free_port, wait_until_up

ALLOW_EVERYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


@dataclass
class EnforcingMoto:
    endpoint: str
    region: str
    keys: dict[str, tuple[str, str]]  # user -> (access key id, secret)

    def client(self, service: str, user: str) -> Any:
        """A client of `service` signed with the user's key, which fails at once rather than retry."""
        key_id, secret = self.keys[user]
        make: Any = boto3.client  # the service name is a variable: no typed overload applies
        return make(
            service,
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 1}),
        )


@contextmanager
def enforcing_moto_server(
    region: str, policies: Mapping[str, Mapping[str, Any]], prepare: Callable[[Callable[[str], Any]], None]
) -> Iterator[EnforcingMoto]:
    """Start the server; `prepare` makes the resources with the client factory it is given (before
    IAM is enforced); each user of `policies` gets its policy and an access key; then every later
    request must be signed by a known key and allowed by its policies. The server stops on exit."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(endpoint)
        unchecked = {
            "endpoint_url": endpoint,
            "region_name": region,
            "aws_access_key_id": "setup",
            "aws_secret_access_key": "setup",
        }
        make: Any = boto3.client

        def setup_client(service: str) -> Any:
            return make(service, **unchecked)

        prepare(setup_client)
        iam = setup_client("iam")
        keys = {}
        for user, document in policies.items():
            iam.create_user(UserName=user)
            iam.put_user_policy(UserName=user, PolicyName=user, PolicyDocument=json.dumps(document))
            created = iam.create_access_key(UserName=user)["AccessKey"]
            keys[user] = (created["AccessKeyId"], created["SecretAccessKey"])
        requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=10).raise_for_status()
        yield EnforcingMoto(endpoint, region, keys)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def error_code(call: Any, **kwargs: Any) -> str | None:
    """The AWS error code of the call, None when it succeeds.

    moto answers SQS's JSON protocol with its XML auth error body, which botocore cannot parse
    (the code becomes "403"): the code is read from that body then.
    """
    try:
        call(**kwargs)
    except ClientError as exc:
        error = exc.response["Error"]
        found = re.search(r"<Code>([^<]+)</Code>", str(error.get("Message", "")))
        return found.group(1) if found and str(error["Code"]).isdigit() else str(error["Code"])
    return None
