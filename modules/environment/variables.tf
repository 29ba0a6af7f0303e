variable "config_yaml" {
  description = "Contents of config/platform.yaml (file(\"<repo>/config/platform.yaml\")): teams, subscriptions, limits and this environment's sizes all come from it."
  type        = string

  validation {
    condition     = can(yamldecode(var.config_yaml).environments) && can(yamldecode(var.config_yaml).teams)
    error_message = "config_yaml must be the YAML of config/platform.yaml (with environments and teams)."
  }
}

variable "environment" {
  description = "Environment to deploy (a key of `environments` in the configuration)."
  type        = string

  validation {
    condition     = contains(keys(try(yamldecode(var.config_yaml).environments, {})), var.environment)
    error_message = "environment must be one of the environments of the configuration."
  }
}

variable "repo_root" {
  description = "Path of the repository root (athena/, glue_jobs/ are read from it)."
  type        = string

  validation {
    condition     = fileexists("${var.repo_root}/config/platform.yaml") && fileexists("${var.repo_root}/api/openapi.yaml")
    error_message = "repo_root must be the repository root (config/platform.yaml and api/openapi.yaml under it)."
  }
}

variable "artifacts_dir" {
  description = "Directory of the Lambda artifacts built by `make package`, with its manifest.json (default <repo_root>/build/lambda)."
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

  validation {
    condition     = alltrue([for arn in var.trusted_principal_arns : can(regex("^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:", arn))])
    error_message = "trusted_principal_arns must be IAM principal ARNs."
  }
}

variable "ci_principal_arns" {
  description = "Principals allowed to assume the CI deploy role."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.ci_principal_arns : can(regex("^arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:", arn))])
    error_message = "ci_principal_arns must be IAM principal ARNs."
  }
}

variable "github_repository" {
  description = "GitHub <owner>/<repo> allowed to deploy through OIDC (null: none)."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository == null || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be <owner>/<repo> or null."
  }
}

variable "alert_emails" {
  description = "E-mail subscribers of the environment's alert topic."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+$", e))])
    error_message = "alert_emails must be e-mail addresses."
  }
}

variable "log_subscription_destination_arn" {
  description = "The organisation's cross-account CloudWatch Logs destination (terraform/org output log_destination_arn); null: no archive subscription."
  type        = string
  default     = null

  validation {
    condition     = var.log_subscription_destination_arn == null || can(regex("^arn:aws[a-z-]*:logs:[a-z0-9-]+:[0-9]{12}:destination:", var.log_subscription_destination_arn))
    error_message = "log_subscription_destination_arn must be a CloudWatch Logs destination ARN or null."
  }
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

  validation {
    condition     = var.kafka_bootstrap_servers == "" || alltrue([for s in split(",", var.kafka_bootstrap_servers) : can(regex("^[A-Za-z0-9.-]+:[0-9]{1,5}$", trimspace(s)))])
    error_message = "kafka_bootstrap_servers must be host:port[,host:port...] (or empty with kafka.mode = msk)."
  }
}

variable "kafka_security_protocol" {
  description = "Security protocol of the external Kafka cluster (SASL_SSL with IAM tokens, or PLAINTEXT)."
  type        = string
  default     = "SASL_SSL"

  validation {
    condition     = contains(["SASL_SSL", "PLAINTEXT"], var.kafka_security_protocol)
    error_message = "kafka_security_protocol must be SASL_SSL or PLAINTEXT."
  }
}

variable "kafka_auth_secret_arn" {
  description = "Secrets Manager secret with the SASL/SCRAM credentials ({username, password}) Lambda's poller uses on an external Kafka cluster, for the services with a kafka trigger (null: none, or MSK)."
  type        = string
  default     = null

  validation {
    condition     = var.kafka_auth_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:", var.kafka_auth_secret_arn))
    error_message = "kafka_auth_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "identity_callback_urls" {
  description = "Where the services' user pools may send a signed-in user back (the web app's callback URLs)."
  type        = list(string)
  default     = ["http://localhost:5173/callback"]
}

variable "manage_api_gateway_account" {
  description = "Let this stack own the region's API Gateway account settings (CloudWatch role)."
  type        = bool
  default     = true
}

variable "reserve_lambda_concurrency" {
  description = "Reserve concurrency for the functions (ingest 50, fan-out 20, kafka-bridge 10, and each service its declared concurrency). New AWS accounts can start with a Lambda concurrency quota of 10, which makes any reservation fail: raise the quota (Service Quotas, L-B99A9384) or set false."
  type        = bool
  default     = true
}

variable "fanout_tracing_mode" {
  description = "X-Ray mode of the fan-out Lambda (Active or PassThrough: see docs/terraform.md, cost)."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.fanout_tracing_mode)
    error_message = "fanout_tracing_mode must be Active or PassThrough."
  }
}

variable "tags" {
  description = "Extra tags (the provider's default_tags already carry project/environment)."
  type        = map(string)
  default     = {}
}
