"""The platform's functions: one package per service, each run by Lambda from its declaration."""

from platform_core.dependencies import defer_collection_during_cold_start

defer_collection_during_cold_start()
