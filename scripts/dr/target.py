"""Which platform a DR command works on: a running local platform (`--local`) or an AWS account.

`--local` reads .local/platform.json (`make up`) and points every client at its
endpoint and broker. Otherwise the default AWS credential chain and region are
used, and resource names come from config/platform.yaml for `--env`, with the
account id that Terraform appends to bucket names (asked from STS unless given).
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime

from platform_core.aws import client
from platform_core.config import get_config
from platform_core.local_state import configure_local_aws_env, read_state
from platform_core.resources import Resources

KAFKA_BOOTSTRAP_ENV = "KAFKA_BOOTSTRAP_SERVERS"


def time_argument(text: str) -> datetime:
    """An argparse type: an RFC 3339 time, which must name its zone."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text}: give a time zone (e.g. {text}Z)")
    return value


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", default="dev", help="environment of config/platform.yaml (default dev)")
    parser.add_argument(
        "--local", action="store_true", help="the running local platform (.local/platform.json, `make up`)"
    )
    parser.add_argument(
        "--account-id",
        default=None,
        help="AWS account id in bucket names (default: from STS; not with --local)",
    )


def resolve(args: argparse.Namespace) -> Resources:
    """The resources the command acts on; with --local, also points boto3 and Kafka clients at them."""
    config = get_config()
    if args.local:
        state = read_state()
        if state is None:
            raise SystemExit("--local: no local platform is running (start one with `make up`)")
        configure_local_aws_env(state["aws_endpoint_url"], state["region"], state.get("lambda_url"))
        if state.get("kafka_bootstrap"):
            os.environ.setdefault(KAFKA_BOOTSTRAP_ENV, state["kafka_bootstrap"])
        return Resources(config.model_copy(update={"project": state["project"]}), state["env"])
    account_id = args.account_id or str(client("sts").get_caller_identity()["Account"])
    return Resources(config, args.env, account_id=account_id)
