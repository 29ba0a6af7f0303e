output "events_table_name" {
  description = "Name of the DynamoDB events table."
  value       = aws_dynamodb_table.events.name
}

output "events_table_arn" {
  description = "ARN of the DynamoDB events table."
  value       = aws_dynamodb_table.events.arn
}

output "events_stream_arn" {
  description = "ARN of the table's stream (NEW_IMAGE): the fan-out's event source."
  value       = aws_dynamodb_table.events.stream_arn
}

output "function_name" {
  description = "Ingest function name."
  value       = module.function.function_name
}

output "function_log_group" {
  description = "Ingest function log group."
  value       = module.function.log_group_name
}

output "team_api_key_secret_arns" {
  description = "Team => ARN of the secret holding its API key (the teams whose services emit)."
  value       = { for t, secret in aws_secretsmanager_secret.team_api_key : t => secret.arn }
}
