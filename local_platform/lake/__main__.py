"""`python -m local_platform.lake`: run the lake pipeline once against the AWS endpoint of the environment.

Against a running local platform (`make up`), set AWS_ENDPOINT_URL to its
endpoint (printed by `make up`). Exit status 1 when the job or a check failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from local_platform.lake.layout import DEFAULT_WORKDIR
from local_platform.lake.pipeline import run_lake
from local_platform.lake.report import console_summary
from platform_core.config import get_config
from platform_core.resources import Resources


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_platform.lake", description=__doc__)
    parser.add_argument("--env", default="dev")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    args = parser.parse_args(argv)
    result = run_lake(Resources(get_config(), args.env), args.workdir)
    print(console_summary(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
