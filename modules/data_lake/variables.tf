variable "name_prefix" {
  description = "<project>-<env>: prefix of every name."
  type        = string
}

variable "environment" {
  description = "Environment name (the Glue job's --env)."
  type        = string
}

variable "names" {
  description = "The naming module's `shared` output (glue_job, lake_state_machine, ...)."
  type        = map(string)
}

variable "bucket_names" {
  description = "The naming module's `buckets` output: raw, rejected, curated, athena_results."
  type        = map(string)

  validation {
    condition     = alltrue([for k in ["raw", "rejected", "curated", "athena_results"] : contains(keys(var.bucket_names), k)])
    error_message = "bucket_names needs raw, rejected, curated and athena_results."
  }
}

variable "teams" {
  description = "Team names (the enum partition projection of `team`)."
  type        = list(string)
}

variable "lake" {
  description = "config/platform.yaml `lake`: glue_version, schedule, raw_transition_ia_days, raw_transition_glacier_days, rejected_expiry_days, athena_bytes_scanned_cutoff."
  type = object({
    glue_version                = string
    schedule                    = string
    raw_transition_ia_days      = number
    raw_transition_glacier_days = number
    rejected_expiry_days        = number
    athena_bytes_scanned_cutoff = number
  })

  validation {
    condition     = var.lake.raw_transition_ia_days >= 30 && var.lake.raw_transition_glacier_days > var.lake.raw_transition_ia_days
    error_message = "S3 needs raw_transition_ia_days >= 30 and the Glacier transition after the IA one."
  }
}

variable "kms_key_arn" {
  description = "The environment's data key."
  type        = string
}

variable "access_log_bucket" {
  description = "Bucket receiving S3 server access logs."
  type        = string
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets (dev only)."
  type        = bool
  default     = false
}

variable "glue_database" {
  description = "Glue catalog database of the tables (shared_services glue_database)."
  type        = string
}

variable "athena_dir" {
  description = "The repository's athena/ directory: tables/*.json become Glue tables, queries/*.sql and views/*.sql named queries, checks/*.sql the pipeline's data-quality checks."
  type        = string
}

variable "glue_script_path" {
  description = "Path of the Glue entry point (glue_jobs/raw_to_curated/job.py)."
  type        = string
}

variable "glue_libs_path" {
  description = "Path of the packaged Python libraries of the job (build/glue/glue_libs.zip, `make package`)."
  type        = string
}

variable "artifacts_bucket" {
  description = "Name of the artifacts bucket (the Glue script and libraries are uploaded there)."
  type        = string
}

variable "artifacts_bucket_arn" {
  description = "ARN of the artifacts bucket."
  type        = string
}

variable "team_workgroups" {
  description = "Team => Athena workgroup name (shared_services athena_workgroups without `platform`): named queries are created in each."
  type        = map(string)
}

variable "platform_workgroup" {
  description = "Athena workgroup of the pipeline's data-quality checks."
  type        = string
}

variable "glue_worker_type" {
  description = "Glue worker type (G.1X is the smallest for Spark ETL)."
  type        = string
  default     = "G.1X"
}

variable "glue_number_of_workers" {
  description = "Glue workers (2 is the minimum)."
  type        = number
  default     = 2

  validation {
    condition     = var.glue_number_of_workers >= 2
    error_message = "Glue Spark jobs need at least 2 workers."
  }
}

variable "glue_execution_class" {
  description = "FLEX (spare capacity, about a third cheaper, may start later) or STANDARD."
  type        = string
  default     = "FLEX"

  validation {
    condition     = contains(["FLEX", "STANDARD"], var.glue_execution_class)
    error_message = "glue_execution_class must be FLEX or STANDARD."
  }
}

variable "glue_timeout_minutes" {
  description = "Glue job timeout in minutes."
  type        = number
  default     = 30
}

variable "orchestration_enabled" {
  description = "Run the lake on the schedule through the Step Functions pipeline (Glue job .sync, Athena data-quality checks, SNS alert on failure)."
  type        = bool
  default     = true
}

variable "alert_topic_arn" {
  description = "SNS topic of pipeline failure alerts (security alert_topic_arn)."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the pipeline's log groups."
  type        = number
}

variable "log_subscription_destination_arn" {
  description = "Cross-account CloudWatch Logs destination of the central archive (null: none)."
  type        = string
  default     = null
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the roles created here."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
