variable "name_prefix" {
  description = "<project>-<env>: prefix of the dashboard, alarms and rule."
  type        = string
}

variable "region" {
  description = "Region of the metrics shown on the dashboard."
  type        = string
}

variable "metrics_namespace" {
  description = "EMF namespace of the platform's own metrics (POWERTOOLS_METRICS_NAMESPACE = the project)."
  type        = string
}

variable "alarms_enabled" {
  description = "Create the alarms (config environments.<env>.alarms_enabled); the dashboard is always created."
  type        = bool
}

variable "alert_topic_arn" {
  description = "SNS topic the alarms and the Glue failure rule notify (security alert_topic_arn)."
  type        = string
}

variable "api" {
  description = "The ingestion API: {name, stage} (the ApiName and Stage dimensions)."
  type        = object({ name = string, stage = string })
}

variable "functions" {
  description = "Function key => Lambda function name (ingest, fanout, kafka_bridge, consumers)."
  type        = map(string)
}

variable "stream_function" {
  description = "Key in `functions` of the stream consumer whose IteratorAge is watched."
  type        = string
  default     = "fanout"
}

variable "queues" {
  description = "Queue key (team, kafka-outbox) => queue name."
  type        = map(string)
}

variable "dead_letter_queues" {
  description = "Name => queue name of every queue whose any message is an incident: the DLQs and the fan-out failure queue."
  type        = map(string)
}

variable "glue_job_name" {
  description = "The lake's Glue job."
  type        = string
}

variable "state_machine_arn" {
  description = "The lake pipeline state machine (null: none)."
  type        = string
  default     = null
}

variable "athena_workgroups" {
  description = "Workgroup key => workgroup name (bytes scanned per workgroup)."
  type        = map(string)
}

variable "thresholds" {
  description = "Alarm thresholds: iterator_age_ms, api_5xx_percent, api_p95_latency_ms."
  type = object({
    iterator_age_ms    = number
    api_5xx_percent    = number
    api_p95_latency_ms = number
  })
  default = {
    iterator_age_ms    = 60000
    api_5xx_percent    = 1
    api_p95_latency_ms = 200
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
