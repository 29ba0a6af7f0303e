"""Shared fixtures live in tests/fixtures/, one module per real part (AWS endpoint, Kafka broker, Spark)."""

pytest_plugins = [
    "tests.fixtures.aws",
    "tests.fixtures.kafka",
    "tests.fixtures.spark",
]
