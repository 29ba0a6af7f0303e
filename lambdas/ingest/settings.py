"""What the ingest function reads from its environment (Terraform and the local runtime set it)."""

from __future__ import annotations

from pydantic import Field

from platform_core.settings import FunctionSettings


class IngestSettings(FunctionSettings):
    events_table: str  # EVENTS_TABLE
    rejected_bucket: str  # REJECTED_BUCKET
    # API_KEY_TEAMS, a JSON object {api_key_id: team}: Terraform builds it from the usage plan's
    # keys, the local gateway from the keys it generates. The team of a request is its key's.
    api_key_teams: dict[str, str] = Field(min_length=1)
