"""Where the local lake lives (the names the AWS side gives the lake are in platform_core.naming).

Light on purpose (no Spark import): the query CLI reads it too.
"""

from __future__ import annotations

from pathlib import Path

from platform_core.config import ROOT

# `make clean` removes .local/.
DEFAULT_WORKDIR = ROOT / ".local" / "lake"
MANIFEST_KEY = "_state/raw_to_curated/manifest.json"


def lake_root(workdir: Path) -> Path:
    """The local mirror of the buckets: <root>/<zone>/<key> (what the local query engine reads)."""
    return workdir / "lake"
