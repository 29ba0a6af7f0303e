variable "project" {
  description = "Project name: the developer and CI policies are scoped to resources named <project>-<env>-*."
  type        = string
}

variable "environment" {
  description = "Environment name."
  type        = string
}

variable "trusted_principal_arns" {
  description = "Principals (e.g. an identity account's SSO roles, or arn:aws:iam::<management>:root) allowed to assume the admin, developer and read-only roles, always with MFA."
  type        = list(string)

  validation {
    condition     = length(var.trusted_principal_arns) > 0 && alltrue([for a in var.trusted_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:", a))])
    error_message = "trusted_principal_arns must be IAM ARNs."
  }
}

variable "ci_principal_arns" {
  description = "Principals allowed to assume the CI deploy role without MFA (e.g. the CI runner's role). Used together with, or instead of, github_repository."
  type        = list(string)
  default     = []
}

variable "github_repository" {
  description = "GitHub <owner>/<repo> whose workflows may assume the CI deploy role through OIDC (null: no GitHub OIDC trust)."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository == null || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be <owner>/<repo>."
  }
}

variable "github_oidc_provider_arn" {
  description = "Existing GitHub OIDC provider ARN in this account; null creates one when github_repository is set."
  type        = string
  default     = null
}

variable "ci_allowed_refs" {
  description = "GitHub OIDC `sub` patterns allowed to deploy (e.g. repo:<owner>/<repo>:ref:refs/heads/main, or :environment:<env>)."
  type        = list(string)
  default     = []
}

variable "max_session_duration" {
  description = "Maximum session length of the roles, in seconds (3600-43200)."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be between 3600 and 43200."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
