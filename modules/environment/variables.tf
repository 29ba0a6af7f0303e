variable "config_yaml" {
  description = "Contents of config/platform.yaml (file(\"<repo>/config/platform.yaml\")): teams, subscriptions, limits and this environment's sizes all come from it."
  type        = string
}

variable "environment" {
  description = "Environment to deploy (a key of `environments` in the configuration)."
  type        = string
}

variable "repo_root" {
  description = "Path of the repository root (athena/, glue_jobs/ are read from it)."
  type        = string
}

variable "artifacts_dir" {
  description = "Directory of the Lambda artifacts built by `make package` (default <repo_root>/build/lambda)."
  type        = string
  default     = null
}

variable "glue_libs_path" {
  description = "Zip of the Glue job's Python libraries built by `make package` (default <repo_root>/build/glue/glue_libs.zip)."
  type        = string
  default     = null
}

variable "trusted_principal_arns" {
  description = "Principals allowed to assume the environment's admin/developer/read-only roles (with MFA)."
  type        = list(string)
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

variable "log_subscription_destination_arn" {
  description = "The organisation's cross-account CloudWatch Logs destination (terraform/org output log_destination_arn); null: no archive subscription."
  type        = string
  default     = null
}

variable "flow_logs_destination_arn" {
  description = "The organisation's flow-log destination in the log archive (terraform/org output flow_logs_destination_arn); null: no flow logs."
  type        = string
  default     = null
}

variable "kafka_bootstrap_servers" {
  description = "Bootstrap servers of the external Kafka cluster (config kafka.mode = external)."
  type        = string
  default     = ""
}

variable "kafka_security_protocol" {
  description = "Security protocol of the external Kafka cluster (SASL_SSL with IAM tokens, or PLAINTEXT)."
  type        = string
  default     = "SASL_SSL"
}

variable "reference_consumers" {
  description = "Deploy the reference consumers (the orders team's order-processor) when their team subscribes to SQS."
  type        = bool
  default     = true
}

variable "manage_api_gateway_account" {
  description = "Let this stack own the region's API Gateway account settings (CloudWatch role)."
  type        = bool
  default     = true
}

variable "reserve_lambda_concurrency" {
  description = "Reserve concurrency for the functions (ingest 50, fan-out 20, kafka-bridge 10, consumers 5 = 85). New AWS accounts can start with a Lambda concurrency quota of 10, which makes any reservation fail: raise the quota (Service Quotas, L-B99A9384) or set false."
  type        = bool
  default     = true
}

variable "fanout_tracing_mode" {
  description = "X-Ray mode of the fan-out Lambda (Active or PassThrough: see docs/terraform.md, cost)."
  type        = string
  default     = "Active"
}

variable "tags" {
  description = "Extra tags (the provider's default_tags already carry project/environment)."
  type        = map(string)
  default     = {}
}
