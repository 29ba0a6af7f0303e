"""How a client finds a running local platform: the state file `make up` writes, and pointing boto3 at it.

The local platform (local_platform.runtime) writes `.local/platform.json`
while it runs; the tools and the production scripts' `--local` option read it
through this module, so none of them needs to import the emulator itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from platform_core.config import ROOT

STATE_PATH = ROOT / ".local" / "platform.json"

# moto and LocalStack accept any credentials; set dummy ones so boto3 never
# looks for real ones (or, worse, finds them).
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def read_state(path: Path = STATE_PATH) -> dict[str, Any] | None:
    """The running platform's state file, or None when there is none."""
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_state(path: Path = STATE_PATH) -> dict[str, Any] | None:
    """The state of a platform that is running now (not one left behind by a killed process)."""
    state = read_state(path)
    return state if state is not None and is_alive(int(state["pid"])) else None


def configure_local_aws_env(endpoint: str, region: str, lambda_url: str | None = None) -> None:
    """Point every boto3 client of this process (and of its children) at a local endpoint; `lambda`
    clients at the local runtime's Invoke API when given (AWS_ENDPOINT_URL_LAMBDA)."""
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    if lambda_url:
        os.environ["AWS_ENDPOINT_URL_LAMBDA"] = lambda_url
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    os.environ.setdefault("AWS_REGION", os.environ["AWS_DEFAULT_REGION"])
    for key, value in LOCAL_CREDENTIALS.items():
        os.environ.setdefault(key, value)
