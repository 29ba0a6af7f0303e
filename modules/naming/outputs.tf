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

output "team_api_key_secrets" {
  description = "Team name => the Secrets Manager secret holding its API key (<project>-<env>-<team>-api-key), read by its services that emit events."
  value       = local.team_api_key_secrets
}

output "services" {
  description = "Service name => its names: function (also its role and log group), tables, buckets and secrets (short name => name), inbox_queue and inbox_dlq (s3 triggers), consumer_group (kafka triggers, one group per topic: <consumer_group>.<event type>), api_key_secret (its team's, when it emits), mail_configuration_set (the SES configuration set of a service that sends e-mail), sms_configuration_set (the SMS configuration set, opt-out list and events topic of a service that sends texts), search_domain (the OpenSearch domain of a service that declares `search`, else null)."
  value       = local.services
}

output "service_environments" {
  description = "Service name => the environment variables of its function: PLATFORM_ENV, POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, TEAM, TABLE_<X> and BUCKET_<X> of its own and its `uses` services' tables and buckets, SECRET_<X>, PLATFORM_API_KEY_SECRET and PLATFORM_API_URL when it emits, MAIL_FROM and MAIL_CONFIGURATION_SET when it sends e-mail, SMS_CONFIGURATION_SET when it sends texts, SEARCH_BACKEND=opensearch when it or a service it uses declares `search`, then its declared environment."
  value       = local.service_environments
}

output "api_client_keys" {
  description = "Client of a service's authorizer => its API key name (<project>-<env>-<client>-client-key)."
  value       = local.api_client_keys
}

output "api_client_usage_plans" {
  description = "Client of a service's authorizer => its usage plan name (<project>-<env>-<client>-client-usage-plan)."
  value       = local.api_client_usage_plans
}
