variable "name_prefix" {
  description = "<project>-<env>: prefix of every name."
  type        = string
}

variable "names" {
  description = "The naming module's `shared` output (fanout_function, kafka_bridge, outbox_queue, outbox_dlq, fanout_failure_queue)."
  type        = map(string)
}

variable "team_queues" {
  description = "Team => {queue, dlq} names, for every team with at least one SQS subscription (naming team_queues/team_dlqs filtered by platform_config sqs_subscriber_teams)."
  type        = map(object({ queue = string, dlq = string }))
}

variable "event_rule_senders" {
  description = "Team => ARNs of EventBridge rules that may send to the team's queue (its services' SES feedback rules, services.*.mail.feedback)."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue(flatten([for arns in values(var.event_rule_senders) : [for a in arns : can(regex("^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:rule/", a))]]))
    error_message = "event_rule_senders holds EventBridge rule ARNs."
  }
}

variable "topic_senders" {
  description = "Team => ARNs of SNS topics that may send to the team's queue (its services' SMS event topics, services.*.sms.feedback)."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue(flatten([for arns in values(var.topic_senders) : [for a in arns : can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", a))]]))
    error_message = "topic_senders holds SNS topic ARNs."
  }
}

variable "sqs" {
  description = "SQS settings from config/platform.yaml `sqs`."
  type = object({
    visibility_timeout_seconds = number
    message_retention_seconds  = number
    dlq_retention_seconds      = number
    max_receive_count          = number
    consumer_batch_size        = number
  })
}

variable "fanout" {
  description = "Stream mapping settings from config/platform.yaml `fanout`."
  type = object({
    batch_size                     = number
    batching_window_seconds        = number
    maximum_retry_attempts         = number
    bisect_batch_on_function_error = bool
    parallelization_factor         = number
  })

  validation {
    condition     = var.fanout.batch_size >= 1 && var.fanout.batch_size <= 10000 && var.fanout.parallelization_factor >= 1 && var.fanout.parallelization_factor <= 10
    error_message = "fanout.batch_size must be 1-10000 and parallelization_factor 1-10."
  }
}

variable "events_stream_arn" {
  description = "Stream ARN of the events table (ingestion_api events_stream_arn)."
  type        = string
}

variable "raw_bucket_arn" {
  description = "ARN of the raw zone bucket (the fan-out writes raw/team=<t>/dt=.../hour=.../<batch>.jsonl.gz)."
  type        = string
}

variable "lambda_environment" {
  description = "Environment variables shared by every function (PLATFORM_ENV, EVENTS_TABLE, RAW_BUCKET, REJECTED_BUCKET, CURATED_BUCKET, OUTBOX_QUEUE_NAME, POWERTOOLS_METRICS_NAMESPACE)."
  type        = map(string)
}

variable "artifacts" {
  description = "Function key (fanout, kafka-bridge: their names in the package manifest) => {s3_bucket, s3_key, s3_object_version, source_code_hash} (shared_services function_artifacts)."
  type = map(object({
    s3_bucket         = string
    s3_key            = string
    s3_object_version = string
    source_code_hash  = string
  }))
}

variable "layers" {
  description = "Layer ARNs of the functions (the dependencies layer)."
  type        = list(string)
}

variable "kafka" {
  description = "shared_services `kafka` output: mode, bootstrap_servers, security_protocol, cluster_arn, topic_arn_prefix, group_arn_prefix, ... (null ARNs when external)."
  type = object({
    mode                        = string
    bootstrap_servers           = string
    security_protocol           = string
    cluster_arn                 = optional(string)
    cluster_name                = optional(string)
    cluster_uuid                = optional(string)
    topic_arn_prefix            = optional(string)
    group_arn_prefix            = optional(string)
    transactional_id_arn_prefix = optional(string)
    security_group_id           = optional(string)
  })
}

variable "kafka_topics" {
  description = "Names of the topics the bridge produces to (its IAM is scoped to them on MSK)."
  type        = list(string)
  default     = []
}

variable "kafka_vpc" {
  description = "Where the kafka-bridge runs to reach MSK: {vpc_id, subnet_ids} of the shared-services VPC (null: outside any VPC, for an external cluster)."
  type = object({
    vpc_id     = string
    subnet_ids = list(string)
  })
  default = null
}

variable "fanout_tracing_mode" {
  description = "X-Ray mode of the fan-out (Active or PassThrough). At about one invocation per second Lambda's sampling traces nearly every invocation (about 13 USD/month for 2.6 M traces); PassThrough keeps the cost near zero."
  type        = string
  default     = "Active"
}

variable "fanout_reserved_concurrency" {
  description = "Reserved concurrency of the fan-out (shards x parallelization_factor is the real need)."
  type        = number
  default     = 20
}

variable "kafka_bridge_reserved_concurrency" {
  description = "Reserved concurrency of the kafka-bridge (caps the producers per cluster)."
  type        = number
  default     = 10
}

variable "kms_key_arn" {
  description = "The environment's data key (queues, tables, logs, environment variables)."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups."
  type        = number
}

variable "log_subscription_destination_arn" {
  description = "Cross-account CloudWatch Logs destination of the central archive (null: none)."
  type        = string
  default     = null
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the roles created here."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
