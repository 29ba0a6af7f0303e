"""Create one environment's Kafka topics (platform_core/kafka_topics.py), from a host that reaches the cluster.

    KAFKA_BOOTSTRAP_SERVERS=b-1.msk...:9098 KAFKA_SECURITY_PROTOCOL=SASL_SSL \\
        python -m scripts.kafka_topics --env dev

Prints what was created, found, grown or could not be changed, as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from platform_core.config import get_config
from platform_core.kafka_topics import ensure_platform_topics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--env", required=True, help="environment from config/platform.yaml (dev, staging, prod)"
    )
    parser.add_argument("--bootstrap-servers", help="overrides KAFKA_BOOTSTRAP_SERVERS")
    args = parser.parse_args(argv)
    if args.bootstrap_servers:
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = args.bootstrap_servers
    report = ensure_platform_topics(get_config(), args.env).as_dict()
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
