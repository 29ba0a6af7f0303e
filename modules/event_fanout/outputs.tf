output "queue_urls" {
  description = "Team (and kafka-outbox) => queue URL."
  value       = { for k, q in aws_sqs_queue.main : k => q.id }
}

output "queue_arns" {
  description = "Team (and kafka-outbox) => queue ARN."
  value       = { for k, q in aws_sqs_queue.main : k => q.arn }
}

output "queue_names" {
  description = "Team (and kafka-outbox) => queue name."
  value       = { for k, q in aws_sqs_queue.main : k => q.name }
}

output "dlq_names" {
  description = "Team (and kafka-outbox) => dead-letter queue name."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.name }
}

output "dlq_arns" {
  description = "Team (and kafka-outbox) => dead-letter queue ARN."
  value       = { for k, q in aws_sqs_queue.dlq : k => q.arn }
}

output "fanout_failure_queue_name" {
  description = "On-failure destination of the stream mapping."
  value       = aws_sqs_queue.fanout_failures.name
}

output "fanout_failure_queue_arn" {
  description = "ARN of the fan-out failure queue."
  value       = aws_sqs_queue.fanout_failures.arn
}

output "function_names" {
  description = "Function key (fanout, kafka-bridge) => function name."
  value       = { fanout = module.fanout.function_name, kafka-bridge = module.kafka_bridge.function_name }
}

output "log_groups" {
  description = "Function key => log group."
  value       = { fanout = module.fanout.log_group_name, kafka-bridge = module.kafka_bridge.log_group_name }
}
