output "project" {
  description = "Project name (first part of every AWS name)."
  value       = local.config.project
}

output "region" {
  description = "The region every environment deploys to."
  value       = local.config.region
}

output "allowed_regions" {
  description = "Regions allowed by the organisation's region SCP."
  value       = local.config.allowed_regions
}

output "environment_names" {
  description = "Environments, in the order the file lists them."
  value       = local.environment_names
}

output "environments" {
  description = "Every environment's settings (log_retention_days, point_in_time_recovery, deletion_protection, alarms_enabled, nat_gateway)."
  value       = local.config.environments
}

output "environment" {
  description = "The selected environment's settings, or null when var.environment is null."
  value       = local.environment
}

output "team_names" {
  description = "Team names in the order the file lists them (the CIDR allocation order)."
  value       = local.team_names

  precondition {
    condition     = local.team_order_ok && local.environment_order_ok
    error_message = "Could not read the order of `teams:` / `environments:` from the file (each key must sit on its own line, indented by two spaces). The order fixes the CIDR allocation, so it is never guessed."
  }
}

output "teams" {
  description = "Team name => {description, api {rate_limit, burst_limit, quota_per_day}, produces, subscriptions {sqs, kafka}} with every optional field present."
  value       = local.teams
}

output "event_types" {
  description = "Every produced event type."
  value       = local.event_types
}

output "producer_of" {
  description = "Event type => the team that produces it."
  value       = local.producer_of
}

output "sqs_subscriptions" {
  description = "Team => the event types delivered to its SQS queue (only teams that subscribe to at least one)."
  value       = local.sqs_subscriptions
}

output "sqs_subscriber_teams" {
  description = "Teams with an SQS queue (at least one SQS subscription)."
  value       = local.sqs_subscriber_teams
}

output "sqs_subscribers" {
  description = "Event type => the teams whose queue receives it."
  value       = local.sqs_subscribers
}

output "kafka_subscribers" {
  description = "Event type => the teams that read its topic."
  value       = local.kafka_subscribers
}

output "kafka_event_types" {
  description = "Event types published to Kafka (at least one Kafka subscriber)."
  value       = local.kafka_event_types
}

output "kafka" {
  description = "Kafka settings: mode (msk or external), default_partitions, default_retention_hours, replication_factor."
  value       = local.kafka
}

output "topics" {
  description = "Event type => {partitions, retention_hours, subscribers} for every event type published to Kafka."
  value       = local.topics
}

output "network" {
  description = "Network settings: supernet, team_prefix_length, availability_zones."
  value       = local.config.network
}

output "team_cidrs" {
  description = "Team => VPC CIDR in the selected environment."
  value       = local.team_cidrs

  precondition {
    condition     = local.team_bits >= 1 && length(local.team_names) <= pow(2, local.team_bits) - 1
    error_message = "The supernet has no room for one /team_prefix_length VPC per team and environment: widen network.supernet or lengthen network.team_prefix_length."
  }
  precondition {
    condition     = length(local.environment_names) <= pow(2, var.environment_slot_bits)
    error_message = "More environments than environment_slot_bits allows."
  }
  precondition {
    condition     = local.team_prefix_length + var.subnet_newbits <= 28
    error_message = "Team VPCs are too small for /(team_prefix_length + subnet_newbits) subnets (AWS minimum is /28)."
  }
  precondition {
    condition     = local.az_count <= pow(2, var.subnet_newbits - 1)
    error_message = "More availability zones than subnet slots."
  }
}

output "team_subnets" {
  description = "Team => {private = [one CIDR per AZ], public = [one CIDR per AZ]} in the selected environment."
  value       = local.team_subnets
}

output "shared_cidr" {
  description = "CIDR of the selected environment's shared-services VPC (the last slot of the environment block; null without an environment)."
  value       = local.shared_cidr
}

output "shared_subnets" {
  description = "{private, public} subnet CIDRs of the shared-services VPC (null without an environment)."
  value       = local.shared_subnets
}

output "all_team_cidrs" {
  description = "<env>/<team> => VPC CIDR for every environment and team (no two overlap)."
  value       = local.all_team_cidrs
}

output "accounts" {
  description = "Account key => {name, ou, email}: the shared accounts of `organization.accounts` plus one workload account per environment (key = environment name, OU Workloads)."
  value       = local.accounts
}

output "api" {
  description = "API limits: max_batch_events, max_body_bytes."
  value       = local.config.api
}

output "ingest" {
  description = "Ingest settings: event_retention_days."
  value       = local.config.ingest
}

output "fanout" {
  description = "Fan-out stream mapping settings: batch_size, batching_window_seconds, maximum_retry_attempts, bisect_batch_on_function_error, parallelization_factor."
  value       = local.config.fanout
}

output "sqs" {
  description = "SQS settings: visibility_timeout_seconds, message_retention_seconds, dlq_retention_seconds, max_receive_count, consumer_batch_size."
  value       = local.config.sqs
}

output "lake" {
  description = "Lake settings: glue_version, schedule, raw_transition_ia_days, raw_transition_glacier_days, rejected_expiry_days, athena_bytes_scanned_cutoff."
  value       = local.config.lake
}

output "services" {
  description = "Service name => its declaration with every optional field present (the defaults of platform_core/config.py Service): team, description, handler, package, trigger {type, event_types, bucket, prefix, suffix, expression}, batch {size, window_seconds}, concurrency, timeout_seconds, memory_mb, tables, buckets, secrets, uses, permissions, environment, emits, packaging {type, extras, debian_packages}, mail ({from_address, reply_to, domain, feedback} or null), sms ({message_type, feedback, origination {type, country, sender_id, number_type} or null} or null), search ({engine, engine_version, instance_type, instance_count, volume_gb} or null), identity (null unless an authorizer)."
  value       = local.services

  precondition {
    condition = alltrue([
      for name in local.service_names : contains(["queue", "kafka", "s3", "schedule", "api", "authorizer"], local.services[name].trigger.type)
    ])
    error_message = "Every service's trigger.type must be queue, kafka, s3, schedule, api or authorizer."
  }
  precondition {
    condition     = alltrue([for name in local.service_names : contains(keys(local.teams), local.services[name].team)])
    error_message = "Every service's team must be a team of the configuration."
  }
  precondition {
    condition = alltrue(flatten([
      for name in local.service_names : [for other in local.services[name].uses : try(local.services[other].team, "") == local.services[name].team && other != name]
    ]))
    error_message = "A service's `uses` must name other services of its own team."
  }
  precondition {
    condition = alltrue([
      for name in local.service_names : local.services[name].trigger.type != "s3" || contains(keys(local.services[name].buckets), coalesce(local.services[name].trigger.bucket, "-"))
    ])
    error_message = "An s3 trigger's bucket must be one of the service's own buckets."
  }
  precondition {
    condition = length(distinct([for name in local.service_names : local.services[name].team if local.services[name].trigger.type == "queue"])) == length(
      [for name in local.service_names : name if local.services[name].trigger.type == "queue"]
    )
    error_message = "A team's queue feeds one service at most."
  }
}

output "service_names" {
  description = "Declared service names, sorted."
  value       = local.service_names
}

output "emitting_teams" {
  description = "Teams with at least one service that emits events (each gets a Secrets Manager secret holding its API key)."
  value       = local.emitting_teams
}

output "mail_domains" {
  description = "Domains the services send e-mail from (services.*.mail.from_address): one SES domain identity each."
  value       = local.mail_domains
}
