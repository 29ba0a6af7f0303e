"""What the console's function reads from its environment (Terraform and the local runtime set it from
its declaration in config/platform.yaml)."""

from __future__ import annotations

from platform_core import naming
from platform_core.settings import FunctionSettings

# The lake's Glue job, as modules/naming names it.
GLUE_JOB_PURPOSE = "raw-to-curated"


class ConsoleSettings(FunctionSettings):
    team: str  # TEAM: the team the console runs as; its Athena workgroup runs the lake's queries
    # KAFKA_BOOTSTRAP_SERVERS: the cluster whose consumer lag the flow page shows (none: no Kafka section).
    kafka_bootstrap_servers: str | None = None
    # How long a lake query may run: API Gateway answers 504 after 29 s.
    athena_timeout_seconds: float = 20.0

    @property
    def project(self) -> str:
        return self.powertools_metrics_namespace

    @property
    def athena_workgroup(self) -> str:
        return naming.team_workgroup(self.project, self.platform_env, self.team)

    @property
    def glue_database(self) -> str:
        return naming.glue_database(self.project, self.platform_env)

    @property
    def glue_job(self) -> str:
        return naming.resource_name(self.project, self.platform_env, GLUE_JOB_PURPOSE)
