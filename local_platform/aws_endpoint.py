"""The AWS-compatible endpoint the local platform talks to.

By default an in-process moto server on 127.0.0.1 (no account, no Docker, no
internet). When AWS_ENDPOINT_URL is already set (e.g. LocalStack on
http://localhost:4566), that endpoint is used instead and nothing is started.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import requests

from platform_core.local_state import configure_local_aws_env

MOTO_ACCOUNT_ID = "123456789012"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def is_external_endpoint() -> bool:
    return bool(os.environ.get("AWS_ENDPOINT_URL"))


def wait_until_up(endpoint: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(endpoint, timeout=2)
            return
        except (requests.ConnectionError, requests.Timeout):  # a loaded machine answers late, not never
            if time.monotonic() > deadline:
                raise RuntimeError(f"no AWS-compatible endpoint answers at {endpoint}") from None
            time.sleep(0.2)


@contextmanager
def aws_endpoint(region: str) -> Iterator[str]:
    """Yield the endpoint URL: the user's AWS_ENDPOINT_URL, or a moto server started for the duration."""
    external = os.environ.get("AWS_ENDPOINT_URL")
    if external:
        configure_local_aws_env(external, region)
        wait_until_up(external)
        yield external
        return

    # A separate process: moto then uses the second core instead of
    # competing with the handlers for this process's GIL.
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        # moto with DynamoDB transactions made atomic under concurrency (see the module).
        [sys.executable, "-m", "local_platform.emulators.moto_server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        configure_local_aws_env(endpoint, region)
        wait_until_up(endpoint)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        os.environ.pop("AWS_ENDPOINT_URL", None)
