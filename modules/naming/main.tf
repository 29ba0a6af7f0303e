# Mirrors platform_core/naming.py exactly (tests/unit/test_naming.py and
# tests/naming.tftest.hcl pin both sides to the same examples):
#   AWS names     <project>-<env>-<team>-<purpose>, or <project>-<env>-<purpose> when shared
#   bucket names  <project>-<env>-<zone>[-<account_id>]
#   Kafka topics  <env>.<domain>.<event_name>
#   S3 prefixes   raw/team=<t>/dt=<YYYY-MM-DD>/hour=<HH>/, rejected/..., curated/<table>/team=<t>/event_date=<d>/
locals {
  prefix = "${var.project}-${var.environment}"

  zones = {
    raw            = "raw"
    rejected       = "rejected"
    curated        = "curated"
    athena_results = "athena-results"
  }

  bucket_suffix = var.account_id == null ? "" : "-${var.account_id}"
  buckets       = { for key, zone in local.zones : key => "${local.prefix}-${zone}${local.bucket_suffix}" }

  # Shared (per environment) resources.
  shared = {
    events_table         = "${local.prefix}-events"
    outbox_queue         = "${local.prefix}-kafka-outbox"
    outbox_dlq           = "${local.prefix}-kafka-outbox-dlq"
    fanout_failure_queue = "${local.prefix}-fanout-failures"
    ingest_function      = "${local.prefix}-ingest"
    fanout_function      = "${local.prefix}-fanout"
    kafka_bridge         = "${local.prefix}-kafka-bridge"
    api                  = "${local.prefix}-ingestion-api"
    glue_database        = replace("${local.prefix}-lake", "-", "_")
    glue_job             = "${local.prefix}-raw-to-curated"
    lake_state_machine   = "${local.prefix}-lake-pipeline"
    alerts_topic         = "${local.prefix}-alerts"
    dependencies_layer   = "${local.prefix}-dependencies"
    s3_access_logs       = "${local.prefix}-s3-access-logs${local.bucket_suffix}"
    artifacts_bucket     = "${local.prefix}-artifacts${local.bucket_suffix}"
  }

  # Per-team resources: <project>-<env>-<team>-<purpose>.
  team_queues     = { for t in var.teams : t => "${local.prefix}-${t}-events" }
  team_dlqs       = { for t in var.teams : t => "${local.prefix}-${t}-events-dlq" }
  consumer_groups = { for t in var.teams : t => "${local.prefix}-${t}-consumer" }
  team_vpcs       = { for t in var.teams : t => "${local.prefix}-${t}-vpc" }
  team_workgroups = { for t in var.teams : t => "${local.prefix}-${t}-analytics" }
  team_api_keys   = { for t in var.teams : t => "${local.prefix}-${t}-api-key" }
  team_usage_plan = { for t in var.teams : t => "${local.prefix}-${t}-usage-plan" }

  # <env>.<domain>.<event_name>: the event type is already <domain>.<event_name>.
  topics = { for e in var.event_types : e => "${var.environment}.${split(".", e)[0]}.${join(".", slice(split(".", e), 1, length(split(".", e))))}" }

  prefixes = {
    raw        = "raw/"
    rejected   = "rejected/"
    curated    = "curated/"
    quarantine = "quarantine/"
  }
}
