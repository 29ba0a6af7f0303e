"""Glue entry point of the raw -> curated job (the script Terraform uploads).

On AWS Glue (awsglue importable): the raw zone is read through a GlueContext
source with a transformation_ctx, so Glue job bookmarks hand over only the
objects added since the last successful run; `job.commit()` advances the
bookmark only after every write succeeded. Outside Glue the arguments come
from argparse and the run reads the given paths in full: incremental local
runs go through local_platform.lake, which keeps its own manifest.

Arguments: --env, --raw_path (s3://<raw>/raw/), --curated_path
(s3://<curated>/curated/), --quarantine_path (s3://<curated>/quarantine/),
optional --rejected_path (s3://<rejected>/rejected/) to curate the rejected
zone into rejected_events, and Glue's own --JOB_NAME.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from glue_jobs.raw_to_curated import run

REQUIRED = ["env", "raw_path", "curated_path", "quarantine_path"]
OPTIONAL = ["rejected_path"]

try:  # pragma: no cover - only on AWS Glue
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions

    ON_GLUE = True
except ImportError:
    ON_GLUE = False


def parse_args(argv: list[str]) -> dict[str, str]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for name in REQUIRED:
        parser.add_argument(f"--{name}", required=True)
    for name in OPTIONAL:
        parser.add_argument(f"--{name}")
    parser.add_argument("--JOB_NAME", default="raw_to_curated")
    return {k: v for k, v in vars(parser.parse_args(argv)).items() if v is not None}


def _glue_lines(
    glue_context: Any, path: str, ctx: str, whole_documents: bool
) -> DataFrame:  # pragma: no cover
    """Read through a bookmarked Glue source as raw text: one row per line, or per whole document.

    The CSV reader with a separator and a quote character that never occur in
    JSON yields each line untouched, which is what lets the transform
    quarantine malformed lines instead of a JSON reader dropping them.
    """
    frame = glue_context.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [path], "recurse": True},
        format="csv",
        format_options={"separator": "\u0001", "quoteChar": -1, "withHeader": False},
        transformation_ctx=ctx,
    )
    df = frame.toDF()
    lines = df.select(F.col(df.columns[0]).alias("value"), F.input_file_name().alias("source_file"))
    if not whole_documents:
        return lines
    # A rejected document may be pretty-printed: put its lines back together
    # in file order (documents are far smaller than a split, so one file is
    # read by one task and monotonically_increasing_id follows the file).
    ordered = lines.withColumn("_n", F.monotonically_increasing_id())
    return ordered.groupBy("source_file").agg(
        F.concat_ws(
            "\n", F.transform(F.sort_array(F.collect_list(F.struct("_n", "value"))), lambda s: s["value"])
        ).alias("value")
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    argv = sys.argv[1:] if argv is None else argv
    if ON_GLUE:  # pragma: no cover - exercised on AWS only
        args = getResolvedOptions(sys.argv, ["JOB_NAME", *REQUIRED])
        optional = [o for o in OPTIONAL if f"--{o}" in sys.argv]
        args.update(getResolvedOptions(sys.argv, optional) if optional else {})
        from pyspark.context import SparkContext

        glue_context = GlueContext(SparkContext.getOrCreate())
        spark = glue_context.spark_session
        job = Job(glue_context)
        job.init(args["JOB_NAME"], args)
        raw = _glue_lines(glue_context, args["raw_path"], "raw_events", whole_documents=False)
        rejected = (
            _glue_lines(glue_context, args["rejected_path"], "rejected_documents", whole_documents=True)
            if "rejected_path" in args
            else None
        )
        run_id = args.get("JOB_RUN_ID", uuid.uuid4().hex)
    else:
        args = parse_args(argv)
        spark = SparkSession.builder.appName(args["JOB_NAME"]).getOrCreate()
        raw = run.read_raw_lines(spark, [args["raw_path"]])
        rejected = run.read_documents(spark, [args["rejected_path"]]) if "rejected_path" in args else None
        run_id = uuid.uuid4().hex
    locations = run.Locations(
        existing_root=args["curated_path"],
        output_root=args["curated_path"],
        quarantine_root=args["quarantine_path"],
    )
    results = run.run(spark, raw, rejected, locations, run_id)
    summary = {
        name: {
            "input_rows": r.input_rows,
            "quarantined": r.quarantined,
            "added": r.added,
            "duplicates": r.duplicates,
        }
        for name, r in results.items()
    }
    print(json.dumps({"run_id": run_id, "env": args["env"], "tables": summary}))
    if ON_GLUE:  # pragma: no cover
        job.commit()
    return summary


if __name__ == "__main__":
    main()
