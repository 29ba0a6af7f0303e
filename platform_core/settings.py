"""What a function reads from its environment, parsed once into a typed model (one model per function).

Terraform and the local runtime set the same variables from the function's
declaration (config/platform.yaml); each function subclasses `FunctionSettings`
with its own fields and reads it once, when it builds its dependencies at the
cold start (platform_core.dependencies):

    class Settings(FunctionSettings):
        table_state: str          # TABLE_STATE

    settings = Settings.from_environment()   # a missing variable fails the cold start, naming it
"""

from __future__ import annotations

import os
from typing import Self

from pydantic_settings import BaseSettings, SettingsConfigDict


class FunctionSettings(BaseSettings):
    """The variables every platform function gets."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    platform_env: str  # dev, staging, prod: an environment of config/platform.yaml
    powertools_service_name: str = "platform"
    powertools_metrics_namespace: str = "stockoss"

    @classmethod
    def from_environment(cls) -> Self:
        """The settings from the process environment; a missing or malformed variable raises, naming it."""
        return cls()  # type: ignore[call-arg]  # the values come from the environment, not arguments


class ProducerSettings(FunctionSettings):
    """A function that emits events through the platform's ingest API (a service with `emits`)."""

    platform_api_url: (
        str  # the REST API's stage URL, e.g. https://<id>.execute-api.<region>.amazonaws.com/dev
    )
    platform_api_key_secret: str  # Secrets Manager secret holding the team's API key


def required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is required")
    return value


def platform_env() -> str:
    """The environment this code runs in (dev, staging, prod), as named in config/platform.yaml."""
    return required_env("PLATFORM_ENV")
