variable "name" {
  description = "Bucket name (global: include the account id)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "Bucket names are 3-63 lowercase letters, digits, dots and hyphens."
  }
}

variable "kms_key_arn" {
  description = "KMS key for default encryption (SSE-KMS with an S3 bucket key). null selects SSE-S3, which only the S3 server-access-log target bucket should use (S3 cannot deliver access logs to an SSE-KMS bucket)."
  type        = string
  default     = null
}

variable "access_log_bucket" {
  description = "Bucket receiving this bucket's server access logs (null: no access logging, only for the access-log bucket itself)."
  type        = string
  default     = null
}

variable "access_log_prefix" {
  description = "Key prefix of this bucket's access logs in access_log_bucket (defaults to <name>/)."
  type        = string
  default     = null
}

variable "force_destroy" {
  description = "Allow `terraform destroy` to delete a bucket that still holds objects (dev only)."
  type        = bool
  default     = false
}

variable "object_lock_retention_days" {
  description = "Enable S3 Object Lock with a default GOVERNANCE retention of this many days (0 disables; it can only be enabled on a new bucket)."
  type        = number
  default     = 0

  validation {
    condition     = var.object_lock_retention_days >= 0 && var.object_lock_retention_days <= 36500
    error_message = "object_lock_retention_days must be between 0 and 36500."
  }
}

variable "object_lock_mode" {
  description = "Object Lock retention mode: GOVERNANCE (users with s3:BypassGovernanceRetention may shorten it) or COMPLIANCE (nobody can, not even the account root, until the retention ends)."
  type        = string
  default     = "GOVERNANCE"

  validation {
    condition     = contains(["GOVERNANCE", "COMPLIANCE"], var.object_lock_mode)
    error_message = "object_lock_mode must be GOVERNANCE or COMPLIANCE."
  }
}

variable "lifecycle_rules" {
  description = "Lifecycle rules: id, prefix (\"\" for the whole bucket), transitions [{days, storage_class}], expiration_days (null keeps objects). Every bucket also aborts incomplete multipart uploads after 7 days and expires noncurrent versions after noncurrent_version_expiration_days."
  type = list(object({
    id              = string
    prefix          = optional(string, "")
    transitions     = optional(list(object({ days = number, storage_class = string })), [])
    expiration_days = optional(number)
    # Noncurrent versions under the prefix go after this many days (the bucket-wide rule still applies).
    noncurrent_expiration_days = optional(number)
  }))
  default = []

  validation {
    condition = alltrue(flatten([
      for r in var.lifecycle_rules : [for t in r.transitions : contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], t.storage_class)]
    ]))
    error_message = "storage_class must be STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER or DEEP_ARCHIVE."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions are deleted (versioning is always on)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "policy_documents" {
  description = "Extra bucket policy documents (JSON) merged with the TLS-only statement, e.g. service-principal delivery grants."
  type        = list(string)
  default     = []
}

variable "queue_notifications" {
  description = "Object events sent to SQS queues: [{queue_arn, events (e.g. [\"s3:ObjectCreated:*\"]), prefix, suffix}]. The queue's policy must already let this bucket send (create it first)."
  type = list(object({
    queue_arn = string
    events    = list(string)
    prefix    = optional(string, "")
    suffix    = optional(string, "")
  }))
  default = []

  validation {
    condition     = alltrue(flatten([for n in var.queue_notifications : [for e in n.events : startswith(e, "s3:")]]))
    error_message = "queue_notifications events are S3 event types (s3:ObjectCreated:*, ...)."
  }
}

variable "eventbridge_notifications" {
  description = "Send the bucket's object events to EventBridge (lets rules react to new objects)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for the bucket (the provider's default_tags are added)."
  type        = map(string)
  default     = {}
}
