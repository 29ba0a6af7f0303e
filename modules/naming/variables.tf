variable "project" {
  description = "Project name, the first part of every AWS name (config/platform.yaml `project`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project))
    error_message = "project must match ^[a-z][a-z0-9-]{1,20}$ (the same rule as platform_core/config.py)."
  }
}

variable "environment" {
  description = "Environment name (dev, staging, prod, ... as named in config/platform.yaml `environments`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.environment))
    error_message = "environment must match ^[a-z][a-z0-9-]{1,20}$."
  }
}

variable "teams" {
  description = "Team names; every per-team name is derived for each of them."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for t in var.teams : can(regex("^[a-z][a-z0-9-]{1,20}$", t))])
    error_message = "Every team name must match ^[a-z][a-z0-9-]{1,20}$."
  }
}

variable "event_types" {
  description = "Event types (<domain>.<name>) to derive Kafka topic names for."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.event_types : can(regex("^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$", e))])
    error_message = "Every event type must be <domain>.<name> (^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$)."
  }
}

variable "account_id" {
  description = "AWS account id appended to bucket names (bucket names are global). null gives the local-runtime names without the suffix."
  type        = string
  default     = null

  validation {
    condition     = var.account_id == null || can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id or null."
  }
}
