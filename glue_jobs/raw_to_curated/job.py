"""Glue entry point of the raw -> curated job (the script Terraform uploads).

On AWS Glue (awsglue importable): the arguments come from getResolvedOptions,
the raw zone is read through a GlueContext source with a transformation_ctx,
so Glue job bookmarks hand over only the objects added since the last
successful run, and `job.commit()` advances the bookmark only after the run's
switch (run.run: new partition versions, commit, switch). Outside Glue the
arguments come from argparse and the run reads the given paths in full, on
local directories laid out like the buckets (incremental local runs go
through local_platform.lake, which keeps its own manifest of what it read).

Arguments: --env, --raw_path (s3://<raw>/raw/), --curated_path
(s3://<curated>/curated/: the job owns the curated bucket's curated/,
quarantine/, _staging/ and _state/raw_to_curated/), optional --rejected_path
(s3://<rejected>/rejected/) to curate the rejected zone into rejected_events,
and Glue's own --JOB_NAME and --JOB_RUN_ID (the run id of the new versions).
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Any

# AWS's Glue Python library: on Glue, and in the tests (its JVM half exists only on Glue).
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from glue_jobs.raw_to_curated import run, versions
from glue_jobs.raw_to_curated.transform import SOURCE_FILE, VALUE

REQUIRED = ["env", "raw_path", "curated_path"]
OPTIONAL = ["rejected_path"]
CURATED = "curated/"


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


def glue_args(argv: list[str]) -> dict[str, str]:
    """The job's arguments from the command line Glue gives the script (sys.argv), as Glue resolves them."""
    args = getResolvedOptions(argv, ["JOB_NAME", *REQUIRED])
    optional = [name for name in OPTIONAL if f"--{name}" in argv]
    if optional:
        args.update(getResolvedOptions(argv, optional))
    return {k: v for k, v in args.items() if v is not None}


def curated_root(curated_path: str) -> str:
    """The curated bucket's root (s3://<bucket> or a local directory) from --curated_path (<root>/curated/)."""
    path = curated_path.rstrip("/") + "/"
    if not path.endswith(f"/{CURATED}"):
        raise ValueError(f"--curated_path must end with /{CURATED}: {curated_path}")
    return path[: -len(CURATED) - 1]


def glue_lines(glue_context: Any, path: str, ctx: str, whole_documents: bool) -> DataFrame | None:
    """Read through a bookmarked Glue source as raw text: one row per line (or per whole document) with
    the object it came from.

    The CSV reader with a separator and a quote character that never occur in
    JSON yields each line untouched, which is what lets the transform
    quarantine malformed lines instead of a JSON reader dropping them. The
    object's name comes from Glue's attachFilename option: input_file_name()
    is empty on a DataFrame converted from a DynamicFrame, and every line would
    then lose its team and partition. None when the bookmark has nothing new
    (an empty DynamicFrame has no columns at all).
    """
    frame = glue_context.create_dynamic_frame.from_options(
        connection_type="s3",
        connection_options={"paths": [path], "recurse": True},
        format="csv",
        format_options={
            "separator": "\u0001",
            "quoteChar": -1,
            "withHeader": False,
            "attachFilename": SOURCE_FILE,
        },
        transformation_ctx=ctx,
    )
    df = frame.toDF()
    text = next((c for c in df.columns if c != SOURCE_FILE), None)
    if text is None:
        return None
    lines = df.select(F.col(text).alias(VALUE), F.col(SOURCE_FILE))
    if not whole_documents:
        return lines
    # A rejected document may be pretty-printed: put its lines back together
    # in file order (documents are far smaller than a split, so one file is
    # read by one task and monotonically_increasing_id follows the file).
    ordered = lines.withColumn("_n", F.monotonically_increasing_id())
    return ordered.groupBy(SOURCE_FILE).agg(
        F.concat_ws(
            "\n", F.transform(F.sort_array(F.collect_list(F.struct("_n", VALUE))), lambda s: s[VALUE])
        ).alias(VALUE)
    )


def summary_of(results: dict[str, run.TableRun]) -> dict[str, dict[str, int]]:
    return {
        name: {
            "input_rows": r.input_rows,
            "quarantined": r.quarantined,
            "added": r.added,
            "duplicates": r.duplicates,
        }
        for name, r in results.items()
    }


def glue_main(argv: list[str], s3: Any = None) -> dict[str, Any]:
    """The job on Glue: bookmarked sources, the curated bucket on S3, the bookmark committed after the switch."""
    import boto3
    from pyspark.context import SparkContext

    args = glue_args(argv)
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    spark = glue_context.spark_session
    raw = glue_lines(glue_context, args["raw_path"], "raw_events", whole_documents=False)
    rejected = (
        glue_lines(glue_context, args["rejected_path"], "rejected_documents", whole_documents=True)
        if "rejected_path" in args
        else None
    )
    root = curated_root(args["curated_path"])
    store: versions.ObjectStore = (
        versions.S3Store(root.removeprefix("s3://"), s3 or boto3.client("s3"))
        if root.startswith("s3://")
        else versions.LocalStore(root.removeprefix("file://"))  # AWS's Glue container image, on local paths
    )
    lake = run.Lake(store, read_root=root, write_root=root)
    run_id = args.get("JOB_RUN_ID") or uuid.uuid4().hex
    summary = {
        "run_id": run_id,
        "env": args["env"],
        "tables": summary_of(run.run(spark, raw, rejected, lake, run_id)),
    }
    print(json.dumps(summary))
    job.commit()
    return summary


def local_main(argv: list[str]) -> dict[str, Any]:
    """The job on local directories laid out like the buckets, reading the given paths in full."""
    args = parse_args(argv)
    spark = SparkSession.builder.appName(args["JOB_NAME"]).getOrCreate()
    raw = run.read_raw_lines(spark, [args["raw_path"]])
    rejected = run.read_documents(spark, [args["rejected_path"]]) if "rejected_path" in args else None
    root = curated_root(args["curated_path"])
    lake = run.Lake(versions.LocalStore(root), read_root=root, write_root=root)
    run_id = uuid.uuid4().hex
    summary = {
        "run_id": run_id,
        "env": args["env"],
        "tables": summary_of(run.run(spark, raw, rejected, lake, run_id)),
    }
    print(json.dumps(summary))
    return summary


def main(argv: list[str] | None = None) -> dict[str, Any]:
    # Glue starts the script with its run id among the arguments.
    if argv is None and "--JOB_RUN_ID" in sys.argv:
        return glue_main(sys.argv)
    return local_main(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
