"""Benchmarks: `python -m bench [names...]` (make bench). One module per part of the platform.

A benchmark module `bench/<name>.py` defines `run() -> dict` returning its
figures, with a "markdown" entry summarising them for people (targets, ratios
to a baseline measured in the same run, what bounds the figure). The runner
writes bench/results/<name>.json and rebuilds bench/results/README.md from
every results file present. Timings belong here, never in tests.
"""
