variable "name_prefix" {
  description = "<project>-<env>: the team roles are named <name_prefix>-<team>-team-access."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be lower-case letters, digits and hyphens (<project>-<env>)."
  }
}

variable "teams" {
  description = "Team name => its resources: workgroup (its Athena workgroup name) and queue_arns (its SQS queue and DLQ ARNs; empty when the team subscribes to no SQS events)."
  type = map(object({
    workgroup  = string
    queue_arns = list(string)
  }))

  validation {
    condition     = length(var.teams) > 0 && alltrue([for t in keys(var.teams) : can(regex("^[a-z][a-z0-9-]{1,20}$", t))])
    error_message = "teams must be non-empty; team names match ^[a-z][a-z0-9-]{1,20}$ (platform_core/config.py NAME_PATTERN)."
  }

  validation {
    condition     = alltrue(flatten([for t in values(var.teams) : [for a in t.queue_arns : can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", a))]]))
    error_message = "queue_arns must be SQS queue ARNs."
  }
}

variable "region" {
  description = "Region of the environment (Athena, Glue and KMS ARNs, kms:ViaService)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "account_id" {
  description = "The workload account the team roles live in."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be a 12-digit AWS account id."
  }
}

variable "kms_key_arn" {
  description = "The environment's data key (queues, lake buckets and Athena results are encrypted with it)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "curated_bucket" {
  description = "Name of the curated zone bucket (teams read curated/<table>/team=<team>/ only)."
  type        = string
}

variable "athena_results_bucket" {
  description = "Name of the Athena results bucket (each team's workgroup writes under <team>/)."
  type        = string
}

variable "glue_database" {
  description = "Glue catalog database of the lake (metadata read for Athena)."
  type        = string
}

variable "trusted_principal_arns" {
  description = "Principals allowed to assume the team roles, always with MFA (e.g. the identity account's SSO roles)."
  type        = list(string)

  validation {
    condition     = length(var.trusted_principal_arns) > 0 && alltrue([for a in var.trusted_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:", a))])
    error_message = "trusted_principal_arns must be a non-empty list of IAM ARNs."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary every platform role carries (iam_baseline); null for none."
  type        = string
  default     = null
}

variable "max_session_duration" {
  description = "Longest session, in seconds, a team member gets from one assume-role."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200 seconds."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
