"""The raw -> curated job: raw zone JSON lines to deduplicated, partitioned Parquet (see docs/lake.md)."""
