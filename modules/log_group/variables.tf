variable "name" {
  description = "Log group name (e.g. /aws/lambda/<function>)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_/.#-]{1,512}$", var.name))
    error_message = "name must be 1-512 letters, digits and _ / . # - characters."
  }
}

variable "retention_days" {
  description = "Days CloudWatch Logs keeps the events (config environments.<env>.log_retention_days)."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.retention_days)
    error_message = "retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ..., 3653)."
  }
}

variable "kms_key_arn" {
  description = "Key encrypting the log events (its policy must let this region's CloudWatch Logs use it)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "subscription_destination_arn" {
  description = "Cross-account CloudWatch Logs destination of the organisation's log archive (central_logging log_destination_arn); null: no subscription."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of the log group."
  type        = map(string)
  default     = {}
}
