output "api_invoke_url" {
  description = "Base URL of the REST API (POST <url>/v1/events, and every route of api/openapi.yaml)."
  value       = module.rest_api.invoke_url
}

output "api_key_ids" {
  description = "Team => API key id."
  value       = module.rest_api.api_key_ids
}

output "api_key_values" {
  description = "Team => API key value (hand each team its own)."
  value       = module.rest_api.api_key_values
  sensitive   = true
}

output "client_api_key_values" {
  description = "Client of a service's authorizer => its API key value (hand each partner its own, and each app whose users sign in the key it sends beside their tokens)."
  value       = { for client in keys(local.api_clients) : client => module.rest_api.api_key_values[client] }
  sensitive   = true
}

output "events_table" {
  description = "DynamoDB events table."
  value       = module.ingestion_api.events_table_name
}

output "queues" {
  description = "Team (and kafka-outbox) => queue URL."
  value       = module.event_fanout.queue_urls
}

output "dead_letter_queues" {
  description = "Every queue whose messages are incidents: the teams' and the outbox's DLQs, the fan-out failures, the services' inbox DLQs."
  value       = local.dead_letter_queues
}

output "buckets" {
  description = "Zone => bucket name."
  value       = module.data_lake.bucket_names
}

output "athena_workgroups" {
  description = "Team (and platform) => Athena workgroup."
  value       = module.shared.athena_workgroups
}

output "glue_database" {
  description = "Glue catalog database of the lake."
  value       = module.shared.glue_database
}

output "glue_job_name" {
  description = "The raw -> curated Glue job."
  value       = module.data_lake.glue_job_name
}

output "lake_state_machine_arn" {
  description = "The lake pipeline (Step Functions)."
  value       = module.data_lake.state_machine_arn
}

output "kafka" {
  description = "Kafka connection (bootstrap servers, protocol, cluster ARN when MSK)."
  value       = module.shared.kafka
}

output "kafka_topics" {
  description = "Event type => Kafka topic."
  value       = module.names.topics
}

output "function_names" {
  description = "Function key (ingest, fanout, kafka-bridge, every declared service) => Lambda function name."
  value       = local.function_name_outputs
}

output "services" {
  description = "Service => its function, role, tables, buckets, secrets, inbox queue and (image services) repository."
  value = {
    for name, s in module.services : name => {
      function       = s.function_name
      role           = s.role_name
      tables         = keys(s.table_arns)
      buckets        = s.bucket_names
      secrets        = s.secret_arns
      inbox_queue    = s.inbox_queue_name
      repository_url = s.repository_url
    }
  }
}

output "team_vpcs" {
  description = "Team => VPC id."
  value       = { for t, n in module.team_network : t => n.vpc_id }
}

output "role_arns" {
  description = "Baseline roles of the environment (admin, developer, read-only, ci-deploy)."
  value       = module.iam.role_arns
}

output "kms_key_arn" {
  description = "The environment's data key."
  value       = module.security.kms_key_arn
}

output "alert_topic_arn" {
  description = "The environment's alert topic."
  value       = module.security.alert_topic_arn
}

output "lambda_environment" {
  description = "Environment variables every function receives (the contract with lambdas/)."
  value       = local.lambda_environment
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the environment."
  value       = module.observability.dashboard_name
}

output "team_access_role_arns" {
  description = "Team => ARN of its team-access role (its own queue, workgroup and prefixes only)."
  value       = module.team_access.role_arns
}

output "mail_dns_records" {
  description = "DKIM CNAME records to publish for the domains the services send e-mail from (name => value)."
  value       = merge([for d in module.mail_domains : d.dkim_records]...)
}
