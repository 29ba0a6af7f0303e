"""What the fan-out function reads from its environment (Terraform and the local runtime set it)."""

from __future__ import annotations

from platform_core.settings import FunctionSettings


class FanoutSettings(FunctionSettings):
    raw_bucket: str  # RAW_BUCKET: the raw zone the fan-out archives every event to
