output "prefix" {
  description = "<project>-<env>, the start of every AWS name of the environment."
  value       = local.prefix
}

output "buckets" {
  description = "Data lake bucket names by zone key (raw, rejected, curated, athena_results)."
  value       = local.buckets
}

output "shared" {
  description = "Names of the environment's shared resources (events_table, outbox_queue, outbox_dlq, fanout_failure_queue, ingest_function, fanout_function, kafka_bridge, api, glue_database, glue_job, lake_state_machine, alerts_topic, dependencies_layer, s3_access_logs, artifacts_bucket)."
  value       = local.shared
}

output "team_queues" {
  description = "Team name => its SQS queue name (<project>-<env>-<team>-events)."
  value       = local.team_queues
}

output "team_dlqs" {
  description = "Team name => its dead-letter queue name (<project>-<env>-<team>-events-dlq)."
  value       = local.team_dlqs
}

output "consumer_groups" {
  description = "Team name => its Kafka consumer group (<project>-<env>-<team>-consumer)."
  value       = local.consumer_groups
}

output "team_vpcs" {
  description = "Team name => VPC name."
  value       = local.team_vpcs
}

output "team_workgroups" {
  description = "Team name => Athena workgroup name."
  value       = local.team_workgroups
}

output "team_api_keys" {
  description = "Team name => API Gateway API key name."
  value       = local.team_api_keys
}

output "team_usage_plans" {
  description = "Team name => API Gateway usage plan name."
  value       = local.team_usage_plan
}

output "topics" {
  description = "Event type => Kafka topic name (<env>.<domain>.<event_name>)."
  value       = local.topics
}

output "prefixes" {
  description = "S3 key prefixes of the lake zones."
  value       = local.prefixes
}
