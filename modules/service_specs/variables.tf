variable "config_yaml" {
  description = "Contents of the platform configuration (file(\"<repo>/config/platform.yaml\"), or any copy of it)."
  type        = string

  validation {
    condition     = can(yamldecode(var.config_yaml).services)
    error_message = "config_yaml must be a platform configuration with a services section."
  }
}

variable "environment" {
  description = "The environment the specs are for (a key of `environments`)."
  type        = string
}

variable "account_id" {
  description = "The environment's account (bucket names and ARNs carry it)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "partition" {
  description = "AWS partition of the ARNs."
  type        = string
  default     = "aws"
}

variable "api_url" {
  description = "Base URL of the REST API's stage: PLATFORM_API_URL of the services that emit (null leaves it out)."
  type        = string
  default     = null
}

variable "arns" {
  description = "What exists outside the services: kms_key (the data key), api_execution (the REST API), and on MSK kafka_cluster with kafka_topic_prefix and kafka_group_prefix; for an external cluster with SASL/SCRAM, kafka_auth_secret."
  type = object({
    kms_key            = string
    api_execution      = string
    kafka_cluster      = optional(string)
    kafka_topic_prefix = optional(string)
    kafka_group_prefix = optional(string)
    kafka_auth_secret  = optional(string)
  })
}
