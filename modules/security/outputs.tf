output "kms_key_arn" {
  description = "ARN of the environment's data key (rotation enabled)."
  value       = module.key.arn
}

output "kms_key_id" {
  description = "Key id of the environment's data key."
  value       = module.key.key_id
}

output "kms_alias" {
  description = "Alias of the data key."
  value       = module.key.alias_name
}

output "alert_topic_arn" {
  description = "ARN of the encrypted SNS alert topic (alarms, GuardDuty findings, pipeline failures)."
  value       = aws_sns_topic.alerts.arn
}

output "guardduty_detector_id" {
  description = "GuardDuty detector of the delegated administrator (null unless guardduty_organization_admin)."
  value       = try(aws_guardduty_detector.this[0].id, null)
}
