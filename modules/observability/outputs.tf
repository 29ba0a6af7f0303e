output "dashboard_name" {
  description = "CloudWatch dashboard of the environment."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Names of the alarms (empty when alarms are disabled)."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.dlq_not_empty : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.function_errors : a.alarm_name],
    aws_cloudwatch_metric_alarm.iterator_age[*].alarm_name,
    aws_cloudwatch_metric_alarm.api_5xx_rate[*].alarm_name,
    aws_cloudwatch_metric_alarm.api_p95_latency[*].alarm_name,
    aws_cloudwatch_metric_alarm.kafka_bridge_failures[*].alarm_name,
  )
}
