"""A Spark local-mode session configured like the Glue workers the jobs run on.

Used by the local lake runner, the benchmark and the tests. Glue 5.0 is Spark
3.5.4 on Java 17, which is what pyspark is pinned to (config/platform.yaml).
"""

from __future__ import annotations

import os
import sys
import tempfile

from pyspark.sql import SparkSession

# UTC whatever the machine; the parallel collector (throughput, 2 cores). The heap (spark.driver.memory)
# is what varies between runs: its adaptive sizing grows it towards the maximum when GC gets slow, as on a
# loaded machine. What the JVM uses beside it is bounded, so that heap + the rest stays under 3 GB: NIO
# direct buffers (by default as large as the heap), class metadata and compiled code.
JVM_OPTIONS = (
    "-Duser.timezone=UTC",
    "-XX:+UseParallelGC",
    "-XX:MaxDirectMemorySize=256m",
    "-XX:MaxMetaspaceSize=384m",
    "-XX:ReservedCodeCacheSize=128m",
)


def local_session(
    cores: int = 2, driver_memory: str = "2g", shuffle_partitions: int = 8, app_name: str = "stockoss-lake"
) -> SparkSession:
    # Spark must run on the venv's interpreter, not whatever `python` is first on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # The JVM's memory beyond its heap, bounded (inherited by the driver JVM spark-submit starts): glibc
    # gives each thread that allocates natively (gzip inflaters, zstd, Parquet) its own 64 MiB arena, and
    # freed native memory fragments there; two arenas keep that from growing with the threads.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.driver.memory", driver_memory)
        # A handful of partitions: the local runs are small and share 2 cores.
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(cores))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # List the input files in the driver: a local disk lists faster than a Spark job starts.
        .config("spark.sql.sources.parallelPartitionDiscovery.threshold", "1000000")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.local.dir", os.path.join(tempfile.gettempdir(), "stockoss-spark"))
        .config("spark.driver.extraJavaOptions", " ".join(JVM_OPTIONS))
        .getOrCreate()
    )
