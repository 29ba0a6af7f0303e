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
  # What `make package` built (scripts/package.py): every function's artifact (or image) and
  # the layers it runs over, and the layers; paths are relative to build/.
  manifest  = jsondecode(file("${local.artifacts_dir}/manifest.json"))
  dev_like  = !local.env.deletion_protection # force_destroy only where nothing is protected
  tags      = merge(var.tags, { Project = local.project, Environment = var.environment })
  partition = data.aws_partition.current.partition
  region    = module.config.region

  services = module.config.services
  # The clients of the services' authorizers (identity.clients): an API key and a usage plan each.
  api_clients = merge([
    for name in module.config.service_names : {
      for client, c in local.services[name].identity.clients : client => merge(c, { service = name })
    } if local.services[name].identity != null
  ]...)
}

data "aws_partition" "current" {}

module "names" {
  source = "../naming"

  project     = local.project
  environment = var.environment
  teams       = module.config.team_names
  event_types = module.config.kafka_event_types
  account_id  = local.account_id
  api_clients = keys(local.api_clients)
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
  # S3 encrypts the notifications it sends to the services' inbox queues with the data key; End User
  # Messaging SMS publishes to the services' encrypted SMS event topics, and SNS delivers them to queues.
  key_service_principals = concat(
    anytrue([for s in values(local.services) : s.trigger.type == "s3"]) ? ["s3.amazonaws.com"] : [],
    anytrue([for s in values(local.services) : try(s.sms.feedback, false)]) ? ["sms-voice.amazonaws.com", "sns.amazonaws.com"] : [],
  )
  tags = local.tags
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
  # The zip functions (the platform's and the zip services) and the extras layers, from the manifest.
  function_artifacts = {
    for name, f in local.manifest.functions : name => trimprefix(f.artifact, "lambda/") if try(f.packaging, "image") == "zip"
  }
  layer_artifact = trimprefix(local.manifest.layers.dependencies.artifact, "lambda/")
  extra_layers = {
    for name, layer in local.manifest.layers : name => {
      artifact   = trimprefix(layer.artifact, "lambda/")
      layer_name = "${module.names.shared.dependencies_layer}-${name}"
    } if name != "dependencies"
  }
  workgroups                  = merge(module.names.team_workgroups, { platform = "${module.names.prefix}-platform-analytics" })
  athena_results_bucket       = module.data_lake.bucket_names["athena_results"]
  athena_bytes_scanned_cutoff = module.config.lake.athena_bytes_scanned_cutoff
  kafka_mode                  = module.config.kafka.mode
  external_bootstrap_servers  = var.kafka_bootstrap_servers
  external_security_protocol  = var.kafka_security_protocol
  kafka_topics                = { for et, t in module.config.topics : module.names.topics[et] => { partitions = t.partitions, retention_hours = t.retention_hours } }
  kafka_replication_factor    = module.config.kafka.replication_factor
  msk_vpc_id                  = try(module.shared_network[0].vpc_id, null)
  msk_subnet_ids              = try(module.shared_network[0].private_subnet_ids, [])
  msk_client_cidrs            = module.config.kafka.mode == "msk" ? [module.config.shared_cidr] : []
  permissions_boundary_arn    = module.iam.permissions_boundary_arn
  tags                        = local.tags
}

# --- The REST API, from api/openapi.yaml --------------------------------------------------
locals {
  # Every function a route or an authorizer can name: the ingest function and the services.
  function_names = merge(
    { ingest = module.names.shared.ingest_function },
    module.service_specs.function_names,
  )
}

module "api" {
  source = "../api_definition"

  openapi_yaml  = file("${var.repo_root}/api/openapi.yaml")
  function_arns = { for key, name in local.function_names : key => "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${name}" }
  name          = module.names.shared.api
  region        = local.region
  partition     = local.partition
}

module "api_gateway_account" {
  source = "../api_gateway_account"
  count  = var.manage_api_gateway_account ? 1 : 0

  role_name                = "${module.names.prefix}-apigateway-logs"
  permissions_boundary_arn = module.iam.permissions_boundary_arn
  tags                     = local.tags
}

module "rest_api" {
  source = "../rest_api"

  name        = module.names.shared.api
  description = "${module.names.prefix}: the teams' events and schemas, and the services' routes (api/openapi.yaml)"
  body        = module.api.body
  # A usage plan per team (its key) and per client of a service's authorizer.
  clients = merge(
    {
      for team, t in module.config.teams : team => {
        description   = "team ${team} (config/platform.yaml teams.${team}.api)"
        key_name      = module.names.team_api_keys[team]
        plan_name     = module.names.team_usage_plans[team]
        rate_limit    = t.api.rate_limit
        burst_limit   = t.api.burst_limit
        quota_per_day = t.api.quota_per_day
      }
    },
    {
      for client, c in local.api_clients : client => {
        description   = "client ${client} of ${c.service} (${c.description})"
        key_name      = module.names.api_client_keys[client]
        plan_name     = module.names.api_client_usage_plans[client]
        rate_limit    = c.requests_per_minute / 60
        burst_limit   = c.burst
        quota_per_day = null
      }
    },
  )
  kms_key_arn                      = module.security.kms_key_arn
  log_retention_days               = local.env.log_retention_days
  log_subscription_destination_arn = var.log_subscription_destination_arn
  # The console's "429 answers per minute" (the series the local platform publishes per team).
  throttled_requests_namespace = "${local.project}/api"
  tags                         = local.tags

  depends_on = [module.api_gateway_account]
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
}

locals {
  # Only the teams' keys: the REST API also holds the API clients' keys (partners, apps), which
  # identify no team. The ingest and every service behind API routes resolve the caller's team
  # from this map (API_KEY_TEAMS), never from the body.
  team_api_key_ids = { for team in module.config.team_names : team => module.rest_api.api_key_ids[team] }
  api_key_teams    = jsonencode({ for team, key_id in local.team_api_key_ids : key_id => team })
}

module "ingestion_api" {
  source = "../ingestion_api"

  names              = module.names.shared
  team_api_key_ids   = local.team_api_key_ids
  lambda_environment = local.lambda_environment
  artifact           = module.shared.function_artifacts["ingest"]
  layers             = [module.shared.layer_arn]
  api = {
    execution_arn = module.rest_api.execution_arn
    routes        = module.api.function_routes["ingest"]
  }
  team_api_key_secrets             = { for team in module.config.emitting_teams : team => module.names.team_api_key_secrets[team] }
  team_api_key_values              = module.rest_api.api_key_values
  rejected_bucket_arn              = module.data_lake.bucket_arns["rejected"]
  kms_key_arn                      = module.security.kms_key_arn
  point_in_time_recovery           = local.env.point_in_time_recovery
  deletion_protection              = local.env.deletion_protection
  reserved_concurrency             = var.reserve_lambda_concurrency ? 50 : -1
  log_retention_days               = local.env.log_retention_days
  log_subscription_destination_arn = var.log_subscription_destination_arn
  permissions_boundary_arn         = module.iam.permissions_boundary_arn
  tags                             = local.tags
}

module "event_fanout" {
  source = "../event_fanout"

  name_prefix = module.names.prefix
  names       = module.names.shared
  team_queues = { for t in module.config.sqs_subscriber_teams : t => { queue = module.names.team_queues[t], dlq = module.names.team_dlqs[t] } }
  # The rule names are platform_service's (<function>-mail-feedback): known here without a cycle.
  event_rule_senders = { for t in module.config.sqs_subscriber_teams : t => [
    for name in module.config.service_names : "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${module.service_specs.services[name].names.function}-mail-feedback"
    if local.services[name].team == t && try(local.services[name].mail.feedback, false)
  ] }
  # The topic names are platform_service's (its SMS configuration set's name): known here without a cycle.
  topic_senders = { for t in module.config.sqs_subscriber_teams : t => [
    for name in module.config.service_names : "arn:${local.partition}:sns:${local.region}:${local.account_id}:${module.service_specs.services[name].names.sms_configuration_set}"
    if local.services[name].team == t && try(local.services[name].sms.feedback, false)
  ] }
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
  fanout_tracing_mode               = var.fanout_tracing_mode
  fanout_reserved_concurrency       = var.reserve_lambda_concurrency ? 20 : -1
  kafka_bridge_reserved_concurrency = var.reserve_lambda_concurrency ? 10 : -1
  kms_key_arn                       = module.security.kms_key_arn
  log_retention_days                = local.env.log_retention_days
  log_subscription_destination_arn  = var.log_subscription_destination_arn
  permissions_boundary_arn          = module.iam.permissions_boundary_arn
  tags                              = local.tags
}

# --- The teams' services: one module instance per entry of `services` in the config -------
module "service_specs" {
  source = "../service_specs"

  config_yaml = var.config_yaml
  environment = var.environment
  account_id  = local.account_id
  partition   = local.partition
  api_url     = module.rest_api.invoke_url
  arns = {
    kms_key            = module.security.kms_key_arn
    api_execution      = module.rest_api.execution_arn
    kafka_cluster      = module.shared.kafka.cluster_arn
    kafka_topic_prefix = module.shared.kafka.topic_arn_prefix
    kafka_group_prefix = module.shared.kafka.group_arn_prefix
    kafka_auth_secret  = var.kafka_auth_secret_arn
  }
}

# One SES identity per domain the services send e-mail from.
module "mail_domains" {
  source   = "../mail_domain"
  for_each = toset(module.config.mail_domains)

  domain = each.key
  tags   = local.tags
}

# One OpenSearch domain per service that declares `search`. It and the services that use it get
# its endpoint; the domain's access policy lets its role write and search, theirs search only.
locals {
  search_owners = { for name in module.config.service_names : name => local.services[name].search if local.services[name].search != null }
  # Service => the searching services whose domain it reaches: itself, or those it uses.
  search_domain_of = {
    for name in module.config.service_names : name => [
      for owner in concat([name], local.services[name].uses) : owner if contains(keys(local.search_owners), owner)
    ]
  }
}

module "search_domains" {
  source   = "../search_domain"
  for_each = local.search_owners

  name             = module.service_specs.services[each.key].names.search_domain
  engine_version   = each.value.engine_version
  instance_type    = each.value.instance_type
  instance_count   = each.value.instance_count
  volume_gb        = each.value.volume_gb
  writer_role_arns = ["arn:${local.partition}:iam::${local.account_id}:role/${module.services[each.key].role_name}"]
  reader_role_arns = [
    for user, owners in local.search_domain_of : "arn:${local.partition}:iam::${local.account_id}:role/${module.services[user].role_name}"
    if user != each.key && contains(owners, each.key)
  ]
  kms_key_arn                      = module.security.kms_key_arn
  log_retention_days               = local.env.log_retention_days
  log_subscription_destination_arn = var.log_subscription_destination_arn
  tags                             = local.tags
}

module "services" {
  source   = "../platform_service"
  for_each = toset(module.config.service_names)

  name    = each.key
  service = module.service_specs.services[each.key].declaration
  names   = module.service_specs.services[each.key].names
  environment = merge(
    module.service_specs.services[each.key].environment,
    local.services[each.key].trigger.type == "api" ? { API_KEY_TEAMS = local.api_key_teams } : {},
    length(local.search_domain_of[each.key]) == 0 ? {} : { OPENSEARCH_ENDPOINT = module.search_domains[local.search_domain_of[each.key][0]].endpoint },
  )
  statements   = module.service_specs.services[each.key].statements
  topics       = module.service_specs.services[each.key].topics
  team_queue   = module.service_specs.services[each.key].team_queue
  artifact     = local.services[each.key].packaging.type == "zip" ? module.shared.function_artifacts[each.key] : null
  image_digest = local.services[each.key].packaging.type == "image" ? try(local.manifest.functions[each.key].digest, null) : null
  # skopeo copies the image layout make package built to the service's repository.
  image_push_command = "cd ${abspath(var.repo_root)} && .venv/bin/python -m scripts.images push --service %s --repository %s"
  # The layers the manifest says the function runs over, in order (the dependencies layer first).
  layers = [
    for layer in try(local.manifest.functions[each.key].layers, []) :
    layer == "dependencies" ? module.shared.layer_arn : module.shared.extra_layer_arns[layer]
  ]
  kafka = {
    bootstrap_servers = module.shared.kafka.bootstrap_servers
    cluster_arn       = module.shared.kafka.cluster_arn
    auth_secret_arn   = var.kafka_auth_secret_arn
  }
  api = contains(["api", "authorizer"], local.services[each.key].trigger.type) ? {
    execution_arn = module.rest_api.execution_arn
    routes        = try(module.api.function_routes[each.key], [])
  } : null
  client_api_keys                  = local.services[each.key].identity == null ? {} : { for client, c in local.api_clients : client => module.rest_api.api_key_values[client] if c.service == each.key }
  identity_callback_urls           = var.identity_callback_urls
  sqs                              = module.config.sqs
  reserve_concurrency              = var.reserve_lambda_concurrency
  point_in_time_recovery           = local.env.point_in_time_recovery
  deletion_protection              = local.env.deletion_protection
  force_destroy                    = local.dev_like
  kms_key_arn                      = module.security.kms_key_arn
  access_log_bucket                = module.access_logs.id
  log_retention_days               = local.env.log_retention_days
  log_subscription_destination_arn = var.log_subscription_destination_arn
  permissions_boundary_arn         = module.iam.permissions_boundary_arn
  tags                             = local.tags
}

# --- Observability: dashboard and alarms ---------------------------------------------------
locals {
  function_name_outputs = merge(
    { ingest = module.ingestion_api.function_name },
    module.event_fanout.function_names,
    { for name, s in module.services : name => s.function_name },
  )
  # Any message in one of these is an incident.
  dead_letter_queues = merge(
    { for k, q in module.event_fanout.dlq_names : "${k}-dlq" => q },
    { fanout-failures = module.event_fanout.fanout_failure_queue_name },
    { for name, s in module.services : "${name}-inbox-dlq" => s.inbox_dlq_name if s.inbox_dlq_name != null },
  )
}

module "observability" {
  source = "../observability"

  name_prefix        = module.names.prefix
  region             = module.config.region
  metrics_namespace  = local.project
  alarms_enabled     = local.env.alarms_enabled
  alert_topic_arn    = module.security.alert_topic_arn
  apis               = { api = { name = module.rest_api.name, stage = module.rest_api.stage_name } }
  functions          = local.function_name_outputs
  queues             = merge(module.event_fanout.queue_names, { for name, s in module.services : "${name}-inbox" => s.inbox_queue_name if s.inbox_queue_name != null })
  dead_letter_queues = local.dead_letter_queues
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

# --- Where earlier versions of this module kept what is now elsewhere --------------------------
# The REST API moved from ingestion_api (routes as resources) to rest_api (routes from the
# OpenAPI body); its id, stage, keys and plans are kept (the log groups are renamed with it).
moved {
  from = module.ingestion_api.aws_api_gateway_rest_api.this
  to   = module.rest_api.aws_api_gateway_rest_api.this
}

moved {
  from = module.ingestion_api.aws_api_gateway_deployment.this
  to   = module.rest_api.aws_api_gateway_deployment.this
}

moved {
  from = module.ingestion_api.aws_api_gateway_stage.this
  to   = module.rest_api.aws_api_gateway_stage.this
}

moved {
  from = module.ingestion_api.aws_api_gateway_method_settings.all
  to   = module.rest_api.aws_api_gateway_method_settings.all
}

moved {
  from = module.ingestion_api.aws_api_gateway_api_key.team
  to   = module.rest_api.aws_api_gateway_api_key.this
}

moved {
  from = module.ingestion_api.aws_api_gateway_usage_plan.team
  to   = module.rest_api.aws_api_gateway_usage_plan.this
}

moved {
  from = module.ingestion_api.aws_api_gateway_usage_plan_key.team
  to   = module.rest_api.aws_api_gateway_usage_plan_key.this
}

moved {
  from = module.ingestion_api.aws_cloudwatch_log_group.access
  to   = module.rest_api.module.access_logs.aws_cloudwatch_log_group.this
}

moved {
  from = module.ingestion_api.aws_cloudwatch_log_group.execution
  to   = module.rest_api.module.execution_logs.aws_cloudwatch_log_group.this
}

moved {
  from = module.ingestion_api.aws_iam_role.apigw_logs[0]
  to   = module.api_gateway_account[0].aws_iam_role.logs
}

moved {
  from = module.ingestion_api.aws_iam_role_policy_attachment.apigw_logs[0]
  to   = module.api_gateway_account[0].aws_iam_role_policy_attachment.logs
}

moved {
  from = module.ingestion_api.aws_api_gateway_account.this[0]
  to   = module.api_gateway_account[0].aws_api_gateway_account.this
}
