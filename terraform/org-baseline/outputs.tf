output "log_destination_arn" {
  description = "Cross-account CloudWatch Logs destination every environment subscribes its log groups to."
  value       = module.central_logging.log_destination_arn
}

output "flow_logs_destination_arn" {
  description = "S3 destination (bucket/prefix) of every VPC's flow logs."
  value       = module.central_logging.flow_logs_destination_arn
}

output "log_archive_bucket" {
  description = "The organisation's log archive bucket."
  value       = module.central_logging.archive_bucket_name
}

output "trail_arn" {
  description = "The organisation trail."
  value       = module.central_logging.trail_arn
}

output "security_alert_topic_arn" {
  description = "Organisation-wide security alert topic (GuardDuty findings), in the security account."
  value       = module.security.alert_topic_arn
}

output "guardduty_detector_id" {
  description = "GuardDuty detector of the delegated administrator."
  value       = module.security.guardduty_detector_id
}
