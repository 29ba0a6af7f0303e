variable "name_prefix" {
  description = "Prefix of every name (<project>-<env>, or <project>-security for the organisation-wide instance)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name_prefix))
    error_message = "name_prefix must be lowercase letters, digits and hyphens."
  }
}

variable "region" {
  description = "Region of the resources (used in service-principal conditions)."
  type        = string
}

variable "key_deletion_window_days" {
  description = "Waiting period before a scheduled KMS key deletion (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.key_deletion_window_days >= 7 && var.key_deletion_window_days <= 30
    error_message = "key_deletion_window_days must be between 7 and 30."
  }
}

variable "key_service_principals" {
  description = "Extra AWS service principals (e.g. firehose.amazonaws.com) allowed to use the key for encryption on behalf of this account."
  type        = list(string)
  default     = []
}

variable "key_user_principal_arns" {
  description = "IAM principals of other accounts allowed to use the key (cross-account encryption, e.g. log delivery)."
  type        = list(string)
  default     = []
}

variable "alert_emails" {
  description = "E-mail addresses subscribed to the alert topic (each must confirm the subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+$", e))])
    error_message = "alert_emails must be e-mail addresses."
  }
}

variable "guardduty_organization_admin" {
  description = "Make the account of the `aws` provider GuardDuty's delegated administrator for the organisation (management account designates it through aws.management) and auto-enable every member account, present and future. Set it on the organisation-wide instance only."
  type        = bool
  default     = false
}

variable "guardduty_finding_frequency" {
  description = "How often GuardDuty publishes updated findings (FIFTEEN_MINUTES, ONE_HOUR, SIX_HOURS)."
  type        = string
  default     = "FIFTEEN_MINUTES"

  validation {
    condition     = contains(["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"], var.guardduty_finding_frequency)
    error_message = "guardduty_finding_frequency must be FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS."
  }
}

variable "guardduty_alert_min_severity" {
  description = "GuardDuty findings at or above this severity (0-10; 7 = high) are sent to the alert topic."
  type        = number
  default     = 7

  validation {
    condition     = var.guardduty_alert_min_severity >= 0 && var.guardduty_alert_min_severity <= 10
    error_message = "guardduty_alert_min_severity must be between 0 and 10."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
