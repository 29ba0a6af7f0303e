"""Every AWS resource name of one environment, derived from the platform configuration.

Terraform creates the same resources (with the account id appended to bucket
names) and gives each function the environment `function_environment()` returns
here; the local runtime gives its execution environments exactly the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from platform_core import naming
from platform_core.config import PlatformConfig, Service

# The platform's own functions (not declared services): API Gateway's integration, the stream's
# consumer, the outbox's consumer. Their names are <project>-<env>-<function>.
INGEST = "ingest"
FANOUT = "fanout"
KAFKA_BRIDGE = "kafka-bridge"
PLATFORM_FUNCTIONS = (INGEST, FANOUT, KAFKA_BRIDGE)
# Their handlers, as a declared service names its own (packaging, Terraform and the local runtime read them).
PLATFORM_HANDLERS = {
    INGEST: "lambdas.ingest.handler.lambda_handler",
    FANOUT: "lambdas.fanout.handler.lambda_handler",
    KAFKA_BRIDGE: "lambdas.kafka_bridge.handler.lambda_handler",
}


@dataclass(frozen=True)
class Resources:
    config: PlatformConfig
    env: str
    account_id: str | None = None

    def __post_init__(self) -> None:
        if self.env not in self.config.environments:
            raise ValueError(
                f"unknown environment {self.env!r}; known: {', '.join(self.config.environments)}"
            )

    @property
    def project(self) -> str:
        return self.config.project

    @property
    def events_table(self) -> str:
        return naming.events_table(self.project, self.env)

    def bucket(self, zone: str) -> str:
        return naming.bucket_name(self.project, self.env, zone, self.account_id)

    @property
    def raw_bucket(self) -> str:
        return self.bucket(naming.ZONE_RAW)

    @property
    def rejected_bucket(self) -> str:
        return self.bucket(naming.ZONE_REJECTED)

    @property
    def curated_bucket(self) -> str:
        return self.bucket(naming.ZONE_CURATED)

    @property
    def athena_results_bucket(self) -> str:
        return self.bucket("athena-results")

    @property
    def buckets(self) -> tuple[str, ...]:
        return (self.raw_bucket, self.rejected_bucket, self.curated_bucket, self.athena_results_bucket)

    def team_queue(self, team: str) -> str:
        return naming.team_queue(self.project, self.env, team)

    def team_dlq(self, team: str) -> str:
        return naming.team_dlq(self.project, self.env, team)

    @property
    def outbox_queue(self) -> str:
        return naming.outbox_queue(self.project, self.env)

    @property
    def outbox_dlq(self) -> str:
        return naming.outbox_dlq(self.project, self.env)

    @property
    def fanout_failure_queue(self) -> str:
        return naming.fanout_failure_queue(self.project, self.env)

    def queues_with_dlq(self) -> list[tuple[str, str]]:
        """(queue, its DLQ) for every subscribing team and for the Kafka outbox."""
        pairs = [(self.team_queue(t), self.team_dlq(t)) for t in self.config.sqs_subscriber_teams]
        pairs.append((self.outbox_queue, self.outbox_dlq))
        return pairs

    def topics(self) -> dict[str, tuple[int, int]]:
        """Kafka topic name -> (partitions, retention hours): the event topics, and the dead-letter
        topic of each team that reads Kafka."""
        kafka = self.config.kafka
        dead_letters = {
            naming.dead_letter_topic(self.env, team): (
                kafka.default_partitions,
                kafka.default_retention_hours,
            )
            for team, spec in self.config.teams.items()
            if spec.subscriptions.kafka
        }
        return {
            **{
                naming.topic_name(self.env, et): self.config.topic_settings(et)
                for et in self.config.kafka_event_types
            },
            **dead_letters,
        }

    def lambda_environment(self) -> dict[str, str]:
        """What every platform function reads (Terraform's `lambda_environment` local sets the same names)."""
        return {
            "PLATFORM_ENV": self.env,
            "EVENTS_TABLE": self.events_table,
            "RAW_BUCKET": self.raw_bucket,
            "REJECTED_BUCKET": self.rejected_bucket,
            "CURATED_BUCKET": self.curated_bucket,
            "OUTBOX_QUEUE_NAME": self.outbox_queue,
            "POWERTOOLS_METRICS_NAMESPACE": self.project,
        }

    # -- functions: the platform's own and the declared services -------------------------------

    @property
    def functions(self) -> tuple[str, ...]:
        """Every function of the environment: the platform's, then the declared services in config order."""
        return (*PLATFORM_FUNCTIONS, *self.config.services)

    def service(self, name: str) -> Service:
        service = self.config.services.get(name)
        if service is None:
            known = ", ".join(self.config.services) or "none"
            raise KeyError(f"no service {name!r} in the configuration (declared: {known})")
        return service

    def function_name(self, function: str) -> str:
        """The Lambda function name of a platform function or a declared service."""
        if function in PLATFORM_FUNCTIONS:
            return naming.resource_name(self.project, self.env, function)
        return naming.service_function(self.project, self.env, self.service(function).team, function)

    def service_tables(self, name: str) -> dict[str, str]:
        """Short name -> table name of the tables a service declares."""
        service = self.service(name)
        return {
            short: naming.service_table(self.project, self.env, service.team, short)
            for short in service.tables
        }

    def service_buckets(self, name: str) -> dict[str, str]:
        """Short name -> bucket name of the buckets a service declares."""
        service = self.service(name)
        return {
            short: naming.service_bucket(self.project, self.env, service.team, short, self.account_id)
            for short in service.buckets
        }

    def service_secrets(self, name: str) -> dict[str, str]:
        """Short name -> Secrets Manager secret name of the secrets a service declares."""
        service = self.service(name)
        return {
            short: naming.service_secret(self.project, self.env, service.team, short)
            for short in service.secrets
        }

    def service_queue(self, name: str) -> str:
        """The queue S3 notifications feed, for a service with an `s3` trigger (its DLQ: service_dlq)."""
        return naming.service_queue(self.project, self.env, self.service(name).team, name)

    def service_dlq(self, name: str) -> str:
        return naming.service_dlq(self.project, self.env, self.service(name).team, name)

    def service_search_domain(self, name: str) -> str | None:
        """The OpenSearch domain of a service that declares `search`, else None."""
        service = self.service(name)
        if service.search is None:
            return None
        return naming.service_search_domain(self.project, self.env, service.team, name)

    def team_api_key_secret(self, team: str) -> str:
        return naming.team_api_key_secret(self.project, self.env, team)

    def function_environment(self, function: str, *, api_url: str | None = None) -> dict[str, str]:
        """The environment variables of a function, exactly as Terraform sets them.

        A declared service gets PLATFORM_ENV, POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE,
        TEAM, TABLE_<SHORT> and BUCKET_<SHORT> for its own tables and buckets and those of the
        services it `uses`, SECRET_<SHORT> for its own secrets, PLATFORM_API_URL (`api_url`, the stage URL) and PLATFORM_API_KEY_SECRET
        when it emits events, MAIL_FROM and MAIL_CONFIGURATION_SET when it sends e-mail (`mail`),
        SMS_CONFIGURATION_SET when it sends texts (`sms`), SEARCH_BACKEND=opensearch when it or a service
        it uses declares `search`, then its declared `environment`. (Terraform adds
        SMS_ORIGINATION_IDENTITY, the ARN of the declared origination identity, and OPENSEARCH_ENDPOINT,
        the search domain's, in AWS only; the local runtime gives the OpenSearch emulator's.) A platform function gets
        `lambda_environment()` and its POWERTOOLS_SERVICE_NAME; what only exists once deployed
        (the ingest's API_KEY_TEAMS, the bridge's Kafka cluster) is added by whoever deploys it.
        """
        if function in PLATFORM_FUNCTIONS:
            return {**self.lambda_environment(), "POWERTOOLS_SERVICE_NAME": function}
        service = self.service(function)
        environment = {
            "PLATFORM_ENV": self.env,
            "POWERTOOLS_SERVICE_NAME": function,
            "POWERTOOLS_METRICS_NAMESPACE": self.project,
            "TEAM": service.team,
        }
        for owner in (function, *service.uses):
            for short, table in self.service_tables(owner).items():
                environment[f"TABLE_{naming.env_var_suffix(short)}"] = table
            for short, bucket in self.service_buckets(owner).items():
                environment[f"BUCKET_{naming.env_var_suffix(short)}"] = bucket
        for short, secret in self.service_secrets(function).items():
            environment[f"SECRET_{naming.env_var_suffix(short)}"] = secret
        if service.emits:
            if not api_url:
                raise ValueError(f"service {function} emits events: its environment needs the API's URL")
            environment["PLATFORM_API_URL"] = api_url
            environment["PLATFORM_API_KEY_SECRET"] = self.team_api_key_secret(service.team)
        environment.update(self._capability_environment(function))
        environment.update(service.environment)
        return environment

    def _capability_environment(self, function: str) -> dict[str, str]:
        """What the optional blocks give a service's function: its mail sender, SMS, search backend."""
        service = self.service(function)
        environment = {}
        if service.mail is not None:
            environment["MAIL_FROM"] = service.mail.from_address
            environment["MAIL_CONFIGURATION_SET"] = naming.service_mail_configuration_set(
                self.project, self.env, service.team, function
            )
        if service.sms is not None:
            environment["SMS_CONFIGURATION_SET"] = naming.service_sms_configuration_set(
                self.project, self.env, service.team, function
            )
        if any(self.service(owner).search is not None for owner in (function, *service.uses)):
            environment["SEARCH_BACKEND"] = "opensearch"
        return environment
