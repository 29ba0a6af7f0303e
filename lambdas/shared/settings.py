"""Reading the environment variables Terraform (or the local runtime) sets on every Lambda."""

from __future__ import annotations

import os


def required_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"environment variable {name} is required")
    return value


def platform_env() -> str:
    """The environment this code runs in (dev, staging, prod), as named in config/platform.yaml."""
    return required_env("PLATFORM_ENV")
