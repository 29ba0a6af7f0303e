"""Glue jobs: PySpark code that AWS Glue runs and that runs unchanged in Spark local mode."""
