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

import json
import os
from collections.abc import Mapping
from typing import Any, Self, get_origin

from pydantic import BaseModel, ConfigDict, model_validator

# Structured fields (a JSON object or array in one variable) are read as JSON.
_STRUCTURED = (dict, list, tuple, set, frozenset)


def _environment_values(model: type[BaseModel], environ: Mapping[str, str]) -> dict[str, str]:
    """The variables named after the model's fields (case-insensitive, as Lambda's names are upper case)."""
    by_name = {key.lower(): value for key, value in environ.items()}
    return {name: by_name[name] for name in model.model_fields if name in by_name}


class FunctionSettings(BaseModel):
    """The variables every platform function gets.

    A pydantic model filled from the environment: what pydantic-settings does for functions,
    by hand because its import (its dotenv, CLI and cloud-vault sources) costs every cold start
    about as much as the function's own configuration; values given as arguments win, as there.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    platform_env: str  # dev, staging, prod: an environment of config/platform.yaml
    powertools_service_name: str = "platform"
    powertools_metrics_namespace: str = "stockoss"

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**_environment_values(type(self), os.environ), **values})

    @model_validator(mode="before")
    @classmethod
    def _structured_from_json(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        decoded = dict(values)
        for name, field in cls.model_fields.items():
            raw = decoded.get(name)
            if isinstance(raw, str) and get_origin(field.annotation) in _STRUCTURED:
                try:
                    decoded[name] = json.loads(raw)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{name.upper()} is not valid JSON: {error}") from error
        return decoded

    @classmethod
    def from_environment(cls) -> Self:
        """The settings from the process environment; a missing or malformed variable raises, naming it."""
        return cls()


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
