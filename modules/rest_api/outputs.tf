output "id" {
  description = "REST API id."
  value       = aws_api_gateway_rest_api.this.id
}

output "name" {
  description = "REST API name (the ApiName dimension of its metrics)."
  value       = aws_api_gateway_rest_api.this.name
}

output "execution_arn" {
  description = "Execution ARN (Lambda permissions: <execution_arn>/<stage>/<METHOD>/<path>)."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Stage name (the Stage dimension of the metrics)."
  value       = aws_api_gateway_stage.this.stage_name
}

output "invoke_url" {
  description = "Base URL of the stage (append /v1/...)."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "api_key_ids" {
  description = "Client => API key id."
  value       = { for k, key in aws_api_gateway_api_key.this : k => key.id }
}

output "api_key_values" {
  description = "Client => API key value, to hand to each client."
  value       = { for k, key in aws_api_gateway_api_key.this : k => key.value }
  sensitive   = true
}

output "access_log_group" {
  description = "The API's access log group."
  value       = module.access_logs.name
}
