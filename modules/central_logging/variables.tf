variable "name_prefix" {
  description = "Prefix of every name, e.g. <project>-org."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be lowercase letters, digits and hyphens."
  }
}

variable "region" {
  description = "Home region of the trail, the archive bucket and the log destination."
  type        = string
}

variable "organization_id" {
  description = "AWS Organizations id (o-...): only principals of this organisation may deliver logs."
  type        = string

  validation {
    condition     = can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must look like o-xxxxxxxxxx."
  }
}

variable "archive_glacier_transition_days" {
  description = "Days after which archived logs move to S3 Glacier Flexible Retrieval."
  type        = number
  default     = 90

  validation {
    condition     = var.archive_glacier_transition_days >= 1
    error_message = "archive_glacier_transition_days must be at least 1."
  }
}

variable "archive_expiration_days" {
  description = "Days after which archived logs are deleted (must exceed the Glacier transition and the Object Lock retention)."
  type        = number
  default     = 2555 # 7 years
}

variable "object_lock_retention_days" {
  description = "Object Lock (GOVERNANCE) default retention of the archive: logs cannot be deleted or overwritten for this many days."
  type        = number
  default     = 365

  validation {
    condition     = var.object_lock_retention_days >= 1
    error_message = "The log archive always uses Object Lock: object_lock_retention_days must be at least 1."
  }
}

variable "firehose_buffer_seconds" {
  description = "Firehose buffering interval for CloudWatch Logs shipped to the archive (60-900 s)."
  type        = number
  default     = 300

  validation {
    condition     = var.firehose_buffer_seconds >= 60 && var.firehose_buffer_seconds <= 900
    error_message = "firehose_buffer_seconds must be between 60 and 900."
  }
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets (never in a real organisation)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
