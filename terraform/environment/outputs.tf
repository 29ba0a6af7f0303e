output "account_id" {
  description = "The environment's workload account."
  value       = local.account_id
}

output "api_invoke_url" {
  description = "Base URL of the ingestion API (POST <url>/v1/events)."
  value       = module.platform.api_invoke_url
}

output "api_key_values" {
  description = "Team => API key (terraform output -json api_key_values)."
  value       = module.platform.api_key_values
  sensitive   = true
}

output "queues" {
  description = "Team (and kafka-outbox) => queue URL."
  value       = module.platform.queues
}

output "buckets" {
  description = "Zone => bucket."
  value       = module.platform.buckets
}

output "athena_workgroups" {
  description = "Team => Athena workgroup."
  value       = module.platform.athena_workgroups
}

output "kafka_topics" {
  description = "Event type => Kafka topic."
  value       = module.platform.kafka_topics
}

output "function_names" {
  description = "Function key => Lambda function name."
  value       = module.platform.function_names
}

output "lake_state_machine_arn" {
  description = "The lake pipeline."
  value       = module.platform.lake_state_machine_arn
}

output "role_arns" {
  description = "Baseline roles of the environment."
  value       = module.platform.role_arns
}

output "alert_topic_arn" {
  description = "The environment's alert topic."
  value       = module.platform.alert_topic_arn
}
