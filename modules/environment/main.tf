# One environment of the platform, composed from the modules. Every per-team
# and per-subscription resource comes from config/platform.yaml through
# platform_config and for_each: adding a team is one edit of that file.
data "aws_caller_identity" "current" {}

module "config" {
  source = "../platform_config"

  config_yaml = var.config_yaml
  environment = var.environment
}

locals {
  env           = module.config.environment
  project       = module.config.project
  account_id    = data.aws_caller_identity.current.account_id
  artifacts_dir = coalesce(var.artifacts_dir, "${var.repo_root}/build/lambda")
  glue_libs     = coalesce(var.glue_libs_path, "${var.repo_root}/build/glue/glue_libs.zip")
  dev_like      = !local.env.deletion_protection # force_destroy only where nothing is protected
  tags          = merge(var.tags, { Project = local.project, Environment = var.environment })
}

module "names" {
  source = "../naming"

  project     = local.project
  environment = var.environment
  teams       = module.config.team_names
  event_types = module.config.kafka_event_types
  account_id  = local.account_id
}

# --- Security and IAM ------------------------------------------------------------------
module "security" {
  source = "../security"
  providers = {
    aws            = aws
    aws.management = aws
  }

  name_prefix  = module.names.prefix
  region       = module.config.region
  alert_emails = var.alert_emails
  tags         = local.tags
}

module "iam" {
  source = "../iam_baseline"

  project                = local.project
  environment            = var.environment
  trusted_principal_arns = var.trusted_principal_arns
  ci_principal_arns      = var.ci_principal_arns
  github_repository      = var.github_repository
  tags                   = local.tags
}

# --- Network: one VPC per team (+ the shared-services VPC when MSK runs) -----------------
module "team_network" {
  source   = "../team_network"
  for_each = module.config.team_cidrs

  name                     = module.names.team_vpcs[each.key]
  cidr_block               = each.value
  private_subnet_cidrs     = module.config.team_subnets[each.key].private
  public_subnet_cidrs      = module.config.team_subnets[each.key].public
  enable_nat_gateway       = local.env.nat_gateway
  flow_log_destination_arn = var.flow_logs_destination_arn
  tags                     = merge(local.tags, { Team = each.key })
}

module "shared_network" {
  source = "../team_network"
  count  = module.config.kafka.mode == "msk" ? 1 : 0

  name                     = "${module.names.prefix}-shared-vpc"
  cidr_block               = module.config.shared_cidr
  private_subnet_cidrs     = module.config.shared_subnets.private
  public_subnet_cidrs      = module.config.shared_subnets.public
  enable_nat_gateway       = false
  flow_log_destination_arn = var.flow_logs_destination_arn
  tags                     = local.tags
}

# --- S3 server access logs of every bucket of the environment ----------------------------
module "access_logs" {
  source = "../s3_bucket"

  name                      = module.names.shared.s3_access_logs
  kms_key_arn               = null # S3 delivers server access logs to SSE-S3 buckets only
  force_destroy             = local.dev_like
  eventbridge_notifications = false
  lifecycle_rules = [{
    id              = "access-logs"
    transitions     = [{ days = 30, storage_class = "GLACIER" }]
    expiration_days = local.env.log_retention_days < 365 ? 90 : local.env.log_retention_days
  }]
  tags = local.tags
}

# --- Lake, shared services ----------------------------------------------------------------
module "data_lake" {
  source = "../data_lake"

  name_prefix                      = module.names.prefix
  environment                      = var.environment
  names                            = module.names.shared
  bucket_names                     = module.names.buckets
  teams                            = module.config.team_names
  lake                             = module.config.lake
  kms_key_arn                      = module.security.kms_key_arn
  access_log_bucket                = module.access_logs.id
  force_destroy                    = local.dev_like
  glue_database                    = module.shared.glue_database
  athena_dir                       = "${var.repo_root}/athena"
  glue_script_path                 = "${var.repo_root}/glue_jobs/raw_to_curated/job.py"
  glue_libs_path                   = local.glue_libs
  artifacts_bucket                 = module.shared.artifacts_bucket
  artifacts_bucket_arn             = module.shared.artifacts_bucket_arn
  team_workgroups                  = { for t, w in module.shared.athena_workgroups : t => w if t != "platform" }
  platform_workgroup               = module.shared.athena_workgroups["platform"]
  alert_topic_arn                  = module.security.alert_topic_arn
  log_retention_days               = local.env.log_retention_days
  log_subscription_destination_arn = var.log_subscription_destination_arn
  permissions_boundary_arn         = module.iam.permissions_boundary_arn
  tags                             = local.tags
}

module "shared" {
  source = "../shared_services"

  name_prefix                      = module.names.prefix
  names                            = module.names.shared
  kms_key_arn                      = module.security.kms_key_arn
  access_log_bucket                = module.access_logs.id
  force_destroy                    = local.dev_like
  log_retention_days               = local.env.log_retention_days
  log_subscription_destination_arn = var.log_subscription_destination_arn
  artifacts_dir                    = local.artifacts_dir
  workgroups                       = merge(module.names.team_workgroups, { platform = "${module.names.prefix}-platform-analytics" })
  athena_results_bucket            = module.data_lake.bucket_names["athena_results"]
  athena_bytes_scanned_cutoff      = module.config.lake.athena_bytes_scanned_cutoff
  kafka_mode                       = module.config.kafka.mode
  external_bootstrap_servers       = var.kafka_bootstrap_servers
  external_security_protocol       = var.kafka_security_protocol
  kafka_topics                     = { for et, t in module.config.topics : module.names.topics[et] => { partitions = t.partitions, retention_hours = t.retention_hours } }
  kafka_replication_factor         = module.config.kafka.replication_factor
  msk_vpc_id                       = try(module.shared_network[0].vpc_id, null)
  msk_subnet_ids                   = try(module.shared_network[0].private_subnet_ids, [])
  msk_client_cidrs                 = module.config.kafka.mode == "msk" ? [module.config.shared_cidr] : []
  permissions_boundary_arn         = module.iam.permissions_boundary_arn
  tags                             = local.tags
}

# --- Ingestion and fan-out ----------------------------------------------------------------
locals {
  # The contract with the Python code (platform_core/resources.py lambda_environment()).
  lambda_environment = {
    PLATFORM_ENV                 = var.environment
    EVENTS_TABLE                 = module.names.shared.events_table
    RAW_BUCKET                   = module.data_lake.bucket_names["raw"]
    REJECTED_BUCKET              = module.data_lake.bucket_names["rejected"]
    CURATED_BUCKET               = module.data_lake.bucket_names["curated"]
    OUTBOX_QUEUE_NAME            = module.names.shared.outbox_queue
    POWERTOOLS_METRICS_NAMESPACE = local.project
  }

  consumers = var.reference_consumers && contains(module.config.sqs_subscriber_teams, "orders") ? {
    order-processor = {
      team          = "orders"
      function_name = "${module.names.prefix}-orders-order-processor"
      handler       = "lambdas.order_processor.handler.lambda_handler"
      artifact      = "order_processor"
      state_table   = { name = "${module.names.prefix}-orders-order-state", hash_key = "order_id", env_var = "ORDERS_TABLE" }
    }
  } : {}
}

module "ingestion_api" {
  source = "../ingestion_api"

  name_prefix                      = module.names.prefix
  names                            = module.names.shared
  team_api_key_names               = module.names.team_api_keys
  team_usage_plan_names            = module.names.team_usage_plans
  teams                            = { for t, team in module.config.teams : t => team.api }
  lambda_environment               = local.lambda_environment
  artifact                         = module.shared.function_artifacts["ingest"]
  layers                           = [module.shared.layer_arn]
  rejected_bucket_arn              = module.data_lake.bucket_arns["rejected"]
  kms_key_arn                      = module.security.kms_key_arn
  point_in_time_recovery           = local.env.point_in_time_recovery
  deletion_protection              = local.env.deletion_protection
  manage_account_settings          = var.manage_api_gateway_account
  reserved_concurrency             = var.reserve_lambda_concurrency ? 50 : -1
  log_retention_days               = local.env.log_retention_days
  log_subscription_destination_arn = var.log_subscription_destination_arn
  permissions_boundary_arn         = module.iam.permissions_boundary_arn
  tags                             = local.tags
}

module "event_fanout" {
  source = "../event_fanout"

  name_prefix        = module.names.prefix
  names              = module.names.shared
  team_queues        = { for t in module.config.sqs_subscriber_teams : t => { queue = module.names.team_queues[t], dlq = module.names.team_dlqs[t] } }
  sqs                = module.config.sqs
  fanout             = module.config.fanout
  events_stream_arn  = module.ingestion_api.events_stream_arn
  raw_bucket_arn     = module.data_lake.bucket_arns["raw"]
  lambda_environment = local.lambda_environment
  artifacts          = module.shared.function_artifacts
  layers             = [module.shared.layer_arn]
  kafka              = module.shared.kafka
  kafka_topics       = values(module.names.topics)
  kafka_vpc = module.config.kafka.mode == "msk" ? {
    vpc_id     = module.shared_network[0].vpc_id
    subnet_ids = module.shared_network[0].private_subnet_ids
  } : null
  consumers                         = local.consumers
  fanout_tracing_mode               = var.fanout_tracing_mode
  fanout_reserved_concurrency       = var.reserve_lambda_concurrency ? 20 : -1
  kafka_bridge_reserved_concurrency = var.reserve_lambda_concurrency ? 10 : -1
  reserve_consumer_concurrency      = var.reserve_lambda_concurrency
  point_in_time_recovery            = local.env.point_in_time_recovery
  deletion_protection               = local.env.deletion_protection
  kms_key_arn                       = module.security.kms_key_arn
  log_retention_days                = local.env.log_retention_days
  log_subscription_destination_arn  = var.log_subscription_destination_arn
  permissions_boundary_arn          = module.iam.permissions_boundary_arn
  tags                              = local.tags
}

# --- Observability: dashboard and alarms ---------------------------------------------------
module "observability" {
  source = "../observability"

  name_prefix        = module.names.prefix
  region             = module.config.region
  metrics_namespace  = local.project
  alarms_enabled     = local.env.alarms_enabled
  alert_topic_arn    = module.security.alert_topic_arn
  api                = { name = module.ingestion_api.rest_api_name, stage = module.ingestion_api.stage_name }
  functions          = merge({ ingest = module.ingestion_api.function_name }, module.event_fanout.function_names)
  queues             = module.event_fanout.queue_names
  dead_letter_queues = merge({ for k, q in module.event_fanout.dlq_names : "${k}-dlq" => q }, { fanout-failures = module.event_fanout.fanout_failure_queue_name })
  glue_job_name      = module.data_lake.glue_job_name
  state_machine_arn  = module.data_lake.state_machine_arn
  athena_workgroups  = module.shared.athena_workgroups
  tags               = local.tags
}

# --- Team access: one role per team, its own queue/workgroup/prefixes only
module "team_access" {
  source = "../team_access"

  name_prefix = module.names.prefix
  region      = module.config.region
  account_id  = local.account_id
  kms_key_arn = module.security.kms_key_arn
  teams = {
    for t in module.config.team_names : t => {
      workgroup  = module.shared.athena_workgroups[t]
      queue_arns = contains(module.config.sqs_subscriber_teams, t) ? [module.event_fanout.queue_arns[t], module.event_fanout.dlq_arns[t]] : []
    }
  }
  curated_bucket           = module.data_lake.bucket_names["curated"]
  athena_results_bucket    = module.data_lake.bucket_names["athena_results"]
  glue_database            = module.shared.glue_database
  trusted_principal_arns   = var.trusted_principal_arns
  permissions_boundary_arn = module.iam.permissions_boundary_arn
  tags                     = local.tags
}
