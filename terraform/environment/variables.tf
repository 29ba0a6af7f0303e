variable "environment" {
  description = "The environment to deploy: a key of `environments` in config/platform.yaml (run.sh passes it from `make plan ENV=<env>`)."
  type        = string

  validation {
    condition     = contains(keys(yamldecode(file(var.config_path)).environments), var.environment)
    error_message = "environment must be one of the environments of config/platform.yaml: ${join(", ", keys(yamldecode(file(var.config_path)).environments))}."
  }
}

variable "config_path" {
  description = "Path of config/platform.yaml, relative to this directory."
  type        = string
  default     = "../../config/platform.yaml"
}

variable "state_bucket" {
  description = "The state bucket (terraform/bootstrap output state_bucket): the organisation's outputs are read from it. run.sh passes it."
  type        = string
}

variable "deploy_role_name" {
  description = "Role assumed in the environment's workload account (OrganizationAccountAccessRole until you switch to <project>-<env>-ci-deploy, which cannot change the baseline roles)."
  type        = string
  default     = "OrganizationAccountAccessRole"
}

variable "trusted_principal_arns" {
  description = "Principals allowed to assume the environment's admin/developer/read-only roles with MFA (default: the management account)."
  type        = list(string)
  default     = []
}

variable "ci_principal_arns" {
  description = "Principals allowed to assume the CI deploy role."
  type        = list(string)
  default     = []
}

variable "github_repository" {
  description = "GitHub <owner>/<repo> allowed to deploy through OIDC (null: none)."
  type        = string
  default     = null
}

variable "alert_emails" {
  description = "E-mail subscribers of the environment's alert topic."
  type        = list(string)
  default     = []
}

variable "kafka_bootstrap_servers" {
  description = "Bootstrap servers of the external Kafka cluster (config kafka.mode = external)."
  type        = string
  default     = ""
}

variable "kafka_security_protocol" {
  description = "Security protocol of the external Kafka cluster (SASL_SSL or PLAINTEXT)."
  type        = string
  default     = "SASL_SSL"
}

variable "archive_logs" {
  description = "Subscribe log groups to, and send flow logs to, the organisation's log archive (terraform/org-baseline)."
  type        = bool
  default     = true
}

variable "reserve_lambda_concurrency" {
  description = "Reserve Lambda concurrency (85 per environment): needs an account concurrency quota above 95 (new accounts may start at 10)."
  type        = bool
  default     = true
}

variable "fanout_tracing_mode" {
  description = "X-Ray mode of the fan-out (Active or PassThrough; PassThrough saves about 13 USD/month at one invocation per second)."
  type        = string
  default     = "Active"
}
