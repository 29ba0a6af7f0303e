output "statements" {
  description = "The role's Allow statements: [{sid, actions, resources, conditions (where needed)}], the trigger's and the declared ones included."
  value       = local.statements

  precondition {
    condition     = var.service.trigger.type != "queue" || var.arns.team_queue != null
    error_message = "A queue trigger needs the team queue's ARN (arns.team_queue): the team must subscribe to something by SQS."
  }
  precondition {
    condition     = var.service.mail == null || var.names.mail_configuration_set != null
    error_message = "A service that sends e-mail needs its configuration set's name (names.mail_configuration_set)."
  }
  precondition {
    condition     = var.service.sms == null || var.names.sms_configuration_set != null
    error_message = "A service that sends texts needs its SMS configuration set's name (names.sms_configuration_set)."
  }
  precondition {
    condition     = length(var.service.emits) == 0 || var.arns.ingest_api_execution != null
    error_message = "A service that emits needs the ingest API's execution ARN (arns.ingest_api_execution)."
  }
  precondition {
    condition     = var.service.trigger.type != "kafka" || var.arns.kafka_cluster == null || (var.arns.kafka_topic_prefix != null && var.arns.kafka_group_prefix != null)
    error_message = "A kafka trigger on MSK needs the cluster's topic and group ARN prefixes."
  }
}
