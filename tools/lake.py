"""`python -m tools lake`: run the lake pipeline once against the AWS endpoint of the environment.

Runs the Glue job (Spark local mode) on what is new in the raw and rejected
zones, then the data-quality checks, prints the run and every KPI query, and
writes the HTML report (`<workdir>/lake-report.html`). Against a running local
platform (`make up`), set AWS_ENDPOINT_URL to its endpoint (printed by
`make up`). Exit status 1 when the job or a check failed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from local_platform.lake.layout import DEFAULT_WORKDIR
from local_platform.lake.pipeline import run_lake
from platform_core.config import get_config
from platform_core.resources import Resources
from tools.report import console_summary, report_run


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools lake", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="dev")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    args = parser.parse_args(argv)
    result = run_lake(Resources(get_config(), args.env), args.workdir)
    print(console_summary(result, report_run(result, args.workdir)))
    return 0 if result.ok else 1
