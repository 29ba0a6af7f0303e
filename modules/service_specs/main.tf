# What each declared service of config/platform.yaml gets, as data: its declaration with every
# default filled in (platform_config), its names and environment (naming), the statements of
# its role (service_policy), its trigger's sources. Provider-free: modules/environment gives
# every `platform_service` its spec from here, and `python -m scripts.terraform.check --only
# services` evaluates this same module offline, for any configuration file, to show (and
# check) what Terraform would deploy.
module "config" {
  source = "../platform_config"

  config_yaml = var.config_yaml
  environment = var.environment
}

module "names" {
  source = "../naming"

  project     = module.config.project
  environment = var.environment
  account_id  = var.account_id
  teams       = module.config.team_names
  event_types = module.config.event_types
  services = {
    for name, s in module.config.services : name => {
      team        = s.team
      tables      = keys(s.tables)
      buckets     = keys(s.buckets)
      secrets     = keys(s.secrets)
      uses        = s.uses
      emits       = s.emits
      environment = s.environment
      mail_from   = try(s.mail.from_address, null)
      sends_sms   = s.sms != null
      searches    = s.search != null
    }
  }
  api_url = var.api_url
}

locals {
  p       = var.partition
  region  = module.config.region
  account = var.account_id

  # The team queue a queue-triggered service reads: its team's, when the team subscribes by SQS.
  team_queues = {
    for team in module.config.sqs_subscriber_teams : team => {
      name = module.names.team_queues[team]
      arn  = "arn:${local.p}:sqs:${local.region}:${local.account}:${module.names.team_queues[team]}"
    }
  }
}

module "policy" {
  source   = "../service_policy"
  for_each = module.config.services

  service = each.value
  names   = module.names.services[each.key]
  used = {
    for other in each.value.uses : other => {
      tables        = module.names.services[other].tables
      buckets       = module.names.services[other].buckets
      search_domain = module.names.services[other].search_domain
    }
  }
  topics = { for et in each.value.trigger.event_types : et => module.names.topics[et] }
  arns = {
    partition            = local.p
    region               = local.region
    account_id           = local.account
    kms_key              = var.arns.kms_key
    team_queue           = try(local.team_queues[each.value.team].arn, null)
    kafka_cluster        = var.arns.kafka_cluster
    kafka_topic_prefix   = var.arns.kafka_topic_prefix
    kafka_group_prefix   = var.arns.kafka_group_prefix
    kafka_auth_secret    = var.arns.kafka_auth_secret
    ingest_api_execution = var.arns.api_execution
  }
}
