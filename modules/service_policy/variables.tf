variable "service" {
  description = "The service's declaration (platform_config `services[<name>]`): its trigger, emits, permissions, mail and sms are read."
  type = object({
    trigger     = object({ type = string })
    emits       = list(string)
    permissions = list(object({ actions = list(string), resources = list(string) }))
    mail        = optional(object({ from_address = string, domain = string }))
    sms = optional(object({
      origination = optional(object({ type = string, country = string, sender_id = optional(string) }))
    }))
  })

  validation {
    condition     = contains(["queue", "kafka", "s3", "schedule", "api", "authorizer"], var.service.trigger.type)
    error_message = "trigger.type must be queue, kafka, s3, schedule, api or authorizer."
  }

  validation {
    condition = alltrue(flatten([
      for p in var.service.permissions : [for a in p.actions : can(regex("^[a-z0-9-]+:[A-Za-z0-9*]+$", a)) && !endswith(a, ":*")]
    ]))
    error_message = "Declared permissions name actions as service:Action, never service:* (grant what the function calls)."
  }

  # "*" only where IAM has no resource to name: actions without resource-level permissions.
  validation {
    condition = alltrue(flatten([
      for p in var.service.permissions : [
        for r in p.resources : startswith(r, "arn:") || (r == "*" && alltrue([for a in p.actions : contains(["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"], a)]))
      ]
    ]))
    error_message = "Declared permissions name resources by ARN; \"*\" only for actions without resource-level permissions (cloudwatch:GetMetricData, cloudwatch:ListMetrics)."
  }
}

variable "names" {
  description = "The service's names (naming `services[<name>]`): tables, buckets, secrets, inbox_queue, consumer_group, api_key_secret."
  type = object({
    tables                 = map(string)
    buckets                = map(string)
    secrets                = map(string)
    inbox_queue            = string
    consumer_group         = string
    api_key_secret         = string
    mail_configuration_set = optional(string)
    sms_configuration_set  = optional(string)
    search_domain          = optional(string)
  })
}

variable "used" {
  description = "Service name => the tables and buckets (short name => name) of each service it `uses`, and its search domain (null without one)."
  type        = map(object({ tables = map(string), buckets = map(string), search_domain = optional(string) }))
  default     = {}
}

variable "topics" {
  description = "Event type => Kafka topic of the event types a kafka trigger reads."
  type        = map(string)
  default     = {}
}

variable "arns" {
  description = "Where the service runs: partition, region, account_id, the data key, and, when its trigger or emits need them, the team queue, the Kafka cluster (null: an external cluster) with its topic and group ARN prefixes, the external cluster's credentials secret, and the ingest API's execution ARN."
  type = object({
    partition            = string
    region               = string
    account_id           = string
    kms_key              = string
    team_queue           = optional(string)
    kafka_cluster        = optional(string)
    kafka_topic_prefix   = optional(string)
    kafka_group_prefix   = optional(string)
    kafka_auth_secret    = optional(string)
    ingest_api_execution = optional(string)
  })

  validation {
    condition     = can(regex("^[0-9]{12}$", var.arns.account_id)) && can(regex("^aws(-[a-z]+)*$", var.arns.partition))
    error_message = "arns needs a 12-digit account_id and a partition (aws, aws-cn, aws-us-gov)."
  }
}
