output "function_name" {
  description = "The function's name."
  value       = module.function.function_name
}

output "function_arn" {
  description = "The function's ARN."
  value       = module.function.arn
}

output "role_name" {
  description = "The function's execution role."
  value       = module.function.role_name
}

output "log_group_name" {
  description = "The function's log group."
  value       = module.function.log_group_name
}

output "table_arns" {
  description = "Short name => ARN of the service's tables."
  value       = { for k, t in aws_dynamodb_table.this : k => t.arn }
}

output "table_stream_arns" {
  description = "Short name => stream ARN of the tables that declare a stream."
  value       = { for k, t in aws_dynamodb_table.this : k => t.stream_arn if var.service.tables[k].stream != null }
}

output "bucket_names" {
  description = "Short name => name of the service's buckets."
  value       = { for k, b in module.bucket : k => b.id }
}

output "secret_arns" {
  description = "Short name => ARN of the service's secrets (their values are set out of band)."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.arn }
}

output "inbox_queue_name" {
  description = "The S3 inbox queue of an s3 trigger (null otherwise)."
  value       = try(aws_sqs_queue.inbox[0].name, null)
}

output "inbox_dlq_name" {
  description = "The dead-letter queue of the S3 inbox (null without an s3 trigger)."
  value       = try(aws_sqs_queue.inbox_dlq[0].name, null)
}

output "repository_url" {
  description = "ECR repository of an image service, where make package pushes its image (null for a zip service)."
  value       = try(aws_ecr_repository.this[0].repository_url, null)
}
