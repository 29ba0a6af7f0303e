variable "name_prefix" {
  description = "<project>-<env>: prefix of the dashboard, alarms and rule."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be lowercase letters, digits and hyphens (<project>-<env>)."
  }
}

variable "region" {
  description = "Region of the metrics shown on the dashboard."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be a region name such as eu-west-1."
  }
}

variable "metrics_namespace" {
  description = "EMF namespace of the platform's own metrics (POWERTOOLS_METRICS_NAMESPACE = the project)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be a custom CloudWatch namespace (1-255 characters, not AWS/...)."
  }
}

variable "alarms_enabled" {
  description = "Create the alarms (config environments.<env>.alarms_enabled); the dashboard is always created."
  type        = bool
}

variable "alert_topic_arn" {
  description = "SNS topic the alarms and the Glue failure rule notify (security alert_topic_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.alert_topic_arn))
    error_message = "alert_topic_arn must be an SNS topic ARN."
  }
}

variable "apis" {
  description = "REST API key => {name, stage} (the ApiName and Stage dimensions): requests, errors and latency on the dashboard, a 5xx-rate and a p95-latency alarm each."
  type        = map(object({ name = string, stage = string }))

  validation {
    condition     = alltrue([for api in values(var.apis) : length(api.name) > 0 && can(regex("^[A-Za-z0-9_-]{1,128}$", api.stage))])
    error_message = "apis needs each REST API's name and a stage name (letters, digits, _ and -)."
  }
}

variable "functions" {
  description = "Function key => Lambda function name (ingest, fanout, kafka-bridge and every declared service): one error alarm each."
  type        = map(string)

  validation {
    condition     = alltrue([for f in values(var.functions) : can(regex("^[A-Za-z0-9_-]{1,64}$", f))])
    error_message = "functions must map keys to Lambda function names (1-64 letters, digits, - and _)."
  }
}

variable "stream_function" {
  description = "Key in `functions` of the stream consumer whose IteratorAge is watched."
  type        = string
  default     = "fanout"

  validation {
    condition     = contains(keys(var.functions), var.stream_function)
    error_message = "stream_function must be a key of functions."
  }
}

variable "queues" {
  description = "Queue key (team, kafka-outbox) => queue name."
  type        = map(string)

  validation {
    condition     = alltrue([for q in values(var.queues) : can(regex("^[A-Za-z0-9_-]{1,80}(\\.fifo)?$", q))])
    error_message = "queues must map keys to SQS queue names (1-80 letters, digits, - and _)."
  }
}

variable "dead_letter_queues" {
  description = "Name => queue name of every queue whose any message is an incident: the DLQs and the fan-out failure queue."
  type        = map(string)

  validation {
    condition     = alltrue([for q in values(var.dead_letter_queues) : can(regex("^[A-Za-z0-9_-]{1,80}(\\.fifo)?$", q))])
    error_message = "dead_letter_queues must map keys to SQS queue names (1-80 letters, digits, - and _)."
  }
}

variable "glue_job_name" {
  description = "The lake's Glue job."
  type        = string

  validation {
    condition     = length(var.glue_job_name) > 0 && length(var.glue_job_name) <= 255
    error_message = "glue_job_name must be 1-255 characters."
  }
}

variable "state_machine_arn" {
  description = "The lake pipeline state machine (null: none)."
  type        = string
  default     = null

  validation {
    condition     = var.state_machine_arn == null || can(regex("^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:", var.state_machine_arn))
    error_message = "state_machine_arn must be a Step Functions state machine ARN or null."
  }
}

variable "athena_workgroups" {
  description = "Workgroup key => workgroup name (bytes scanned per workgroup)."
  type        = map(string)

  validation {
    condition     = alltrue([for w in values(var.athena_workgroups) : can(regex("^[A-Za-z0-9._-]{1,128}$", w))])
    error_message = "athena_workgroups must map keys to workgroup names (1-128 letters, digits, ., _ and -)."
  }
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

  validation {
    condition     = var.thresholds.iterator_age_ms > 0 && var.thresholds.api_5xx_percent > 0 && var.thresholds.api_5xx_percent <= 100 && var.thresholds.api_p95_latency_ms > 0
    error_message = "thresholds must be positive (api_5xx_percent at most 100)."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
