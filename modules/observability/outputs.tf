output "dashboard_name" {
  description = "CloudWatch dashboard of the environment."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Names of the alarms (empty when alarms are disabled)."
  value       = [for a in aws_cloudwatch_metric_alarm.this : a.alarm_name]
}
