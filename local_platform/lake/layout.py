"""Where the local lake lives, and the names the AWS side gives the lake's Glue database and workgroups.

Light on purpose (no Spark import): the query CLI reads it too.
"""

from __future__ import annotations

from pathlib import Path

from lambdas.shared import naming
from lambdas.shared.config import ROOT

# `make clean` removes .local/.
DEFAULT_WORKDIR = ROOT / ".local" / "lake"
MANIFEST_KEY = "_state/raw_to_curated/manifest.json"


def lake_root(workdir: Path) -> Path:
    """The local mirror of the buckets: <root>/<zone>/<key> (what the local query engine reads)."""
    return workdir / "lake"


def glue_database(project: str, env: str) -> str:
    """The Glue catalog database of the lake tables (Glue names allow no dashes)."""
    return naming.resource_name(project, env, "lake").replace("-", "_")


def team_workgroup(project: str, env: str, team: str) -> str:
    """The team's Athena workgroup (its bytes-scanned limit is lake.athena_bytes_scanned_cutoff)."""
    return naming.resource_name(project, env, "analytics", team)


def alerts_topic(project: str, env: str) -> str:
    """The SNS topic the lake's data-quality failures are published to."""
    return naming.resource_name(project, env, "lake-alerts")
