variable "config_path" {
  description = "Path of config/platform.yaml."
  type        = string
  default     = "../../config/platform.yaml"
}

variable "state_bucket" {
  description = "The state bucket (terraform/bootstrap output state_bucket): the organisation's outputs are read from it. run.sh passes it."
  type        = string
}

variable "security_alert_emails" {
  description = "E-mail subscribers of the organisation-wide security alert topic (GuardDuty findings)."
  type        = list(string)
  default     = []
}

variable "log_archive_retention" {
  description = "Log archive retention: glacier_transition_days, expiration_days and object_lock_days (Object Lock GOVERNANCE default retention)."
  type = object({
    glacier_transition_days = number
    expiration_days         = number
    object_lock_days        = number
  })
  default = {
    glacier_transition_days = 90
    expiration_days         = 2555
    object_lock_days        = 365
  }

  validation {
    condition     = var.log_archive_retention.expiration_days > var.log_archive_retention.object_lock_days && var.log_archive_retention.expiration_days > var.log_archive_retention.glacier_transition_days
    error_message = "expiration_days must exceed object_lock_days and glacier_transition_days."
  }
}
