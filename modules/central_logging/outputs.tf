output "archive_bucket_name" {
  description = "Name of the log-archive bucket (CloudTrail, VPC flow logs, CloudWatch Logs)."
  value       = module.archive.id
}

output "archive_bucket_arn" {
  description = "ARN of the log-archive bucket."
  value       = module.archive.arn
}

output "archive_kms_key_arn" {
  description = "KMS key encrypting the archive."
  value       = module.archive_key.arn
}

output "flow_logs_destination_arn" {
  description = "S3 ARN (bucket/prefix) for VPC flow logs of every account (aws_flow_log log_destination)."
  value       = "${module.archive.arn}/${trimsuffix(local.flow_logs_prefix, "/")}"
}

output "log_destination_arn" {
  description = "Cross-account CloudWatch Logs destination: subscribe log groups to it (destination_arn of aws_cloudwatch_log_subscription_filter)."
  value       = aws_cloudwatch_log_destination.archive.arn
}

output "trail_arn" {
  description = "ARN of the organisation trail."
  value       = aws_cloudtrail.organization.arn
}
