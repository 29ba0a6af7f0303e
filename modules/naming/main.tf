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
    api                  = "${local.prefix}-api"
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
  # The clients of the services' authorizers, each with its key and usage plan on the REST API.
  api_client_keys        = { for c in var.api_clients : c => "${local.prefix}-${c}-client-key" }
  api_client_usage_plans = { for c in var.api_clients : c => "${local.prefix}-${c}-client-usage-plan" }
  # Secrets Manager: the team's API key, for its services that emit events (same name as the key).
  team_api_key_secrets = { for t in var.teams : t => "${local.prefix}-${t}-api-key" }
  team_usage_plan      = { for t in var.teams : t => "${local.prefix}-${t}-usage-plan" }

  # <env>.<domain>.<event_name>: the event type is already <domain>.<event_name>.
  topics = { for e in var.event_types : e => "${var.environment}.${split(".", e)[0]}.${join(".", slice(split(".", e), 1, length(split(".", e))))}" }

  # --- Declared services (platform_core/naming.py service_*) ------------------------------------
  # TABLE_<X>, BUCKET_<X>, SECRET_<X>: naming.env_var_suffix, `order-state` -> `ORDER_STATE`.
  env_suffix = { for short in distinct(flatten([for s in values(var.services) : concat(s.tables, s.buckets, s.secrets)])) : short => upper(replace(short, "-", "_")) }

  services = {
    for name, s in var.services : name => {
      function       = "${local.prefix}-${s.team}-${name}"
      tables         = { for short in s.tables : short => "${local.prefix}-${s.team}-${short}" }
      buckets        = { for short in s.buckets : short => "${local.prefix}-${s.team}-${short}${local.bucket_suffix}" }
      secrets        = { for short in s.secrets : short => "${local.prefix}-${s.team}-${short}" }
      inbox_queue    = "${local.prefix}-${s.team}-${name}-inbox"
      inbox_dlq      = "${local.prefix}-${s.team}-${name}-inbox-dlq"
      consumer_group = "${local.prefix}-${s.team}-consumer-${name}"
      api_key_secret = "${local.prefix}-${s.team}-api-key"
      # SES configuration set of a service that sends e-mail.
      mail_configuration_set = "${local.prefix}-${s.team}-${name}-mail"
      # SMS configuration set (also its opt-out list's and events topic's name) of a service that sends texts.
      sms_configuration_set = "${local.prefix}-${s.team}-${name}-sms"
      # OpenSearch domain of a service that declares `search`: 28 characters at most, so a longer
      # name keeps its first 23 and 4 hex digits of its SHA-1 (naming.service_search_domain).
      search_domain = !s.searches ? null : (
        length("${local.prefix}-${s.team}-${name}") <= 28
        ? "${local.prefix}-${s.team}-${name}"
        : "${substr("${local.prefix}-${s.team}-${name}", 0, 23)}-${substr(sha1("${local.prefix}-${s.team}-${name}"), 0, 4)}"
      )
    }
  }

  # The environment contract of a declared function (platform_core/resources.py
  # function_environment): the platform's, its own and its `uses` services' tables and buckets,
  # its secrets, the ingest API when it emits, its sender when it sends e-mail, its SMS
  # configuration set when it sends texts, SEARCH_BACKEND when it or a service it uses declares a
  # search domain (whose endpoint modules/environment adds), then what it declares itself.
  service_environments = {
    for name, s in var.services : name => tomap(merge(
      {
        PLATFORM_ENV                 = var.environment
        POWERTOOLS_SERVICE_NAME      = name
        POWERTOOLS_METRICS_NAMESPACE = var.project
        TEAM                         = s.team
      },
      merge([
        for owner in concat([name], s.uses) : merge(
          { for short, table in local.services[owner].tables : "TABLE_${local.env_suffix[short]}" => table },
          { for short, bucket in local.services[owner].buckets : "BUCKET_${local.env_suffix[short]}" => bucket },
        )
      ]...),
      { for short, secret in local.services[name].secrets : "SECRET_${local.env_suffix[short]}" => secret },
      length(s.emits) == 0 ? {} : merge(
        { PLATFORM_API_KEY_SECRET = local.services[name].api_key_secret },
        var.api_url == null ? {} : { PLATFORM_API_URL = var.api_url },
      ),
      s.mail_from == null ? {} : { MAIL_FROM = s.mail_from, MAIL_CONFIGURATION_SET = local.services[name].mail_configuration_set },
      s.sends_sms ? { SMS_CONFIGURATION_SET = local.services[name].sms_configuration_set } : {},
      anytrue([for owner in concat([name], s.uses) : var.services[owner].searches]) ? { SEARCH_BACKEND = "opensearch" } : {},
      s.environment,
    ))
  }

  prefixes = {
    raw        = "raw/"
    rejected   = "rejected/"
    curated    = "curated/"
    quarantine = "quarantine/"
  }
}
