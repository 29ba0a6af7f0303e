output "invoke_url" {
  description = "Base URL of the API (append /v1/events)."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "rest_api_id" {
  description = "REST API id."
  value       = aws_api_gateway_rest_api.this.id
}

output "rest_api_name" {
  description = "REST API name (the ApiName dimension of the API Gateway metrics)."
  value       = aws_api_gateway_rest_api.this.name
}

output "stage_name" {
  description = "Stage name (the Stage dimension of the metrics)."
  value       = aws_api_gateway_stage.this.stage_name
}

output "api_key_ids" {
  description = "Team => API key id (the values are read with `aws apigateway get-api-key --include-value`)."
  value       = { for t, k in aws_api_gateway_api_key.team : t => k.id }
}

output "api_key_values" {
  description = "Team => API key value, to hand to each team."
  value       = { for t, k in aws_api_gateway_api_key.team : t => k.value }
  sensitive   = true
}

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

output "access_log_group" {
  description = "API access log group."
  value       = module.access_logs.name
}
