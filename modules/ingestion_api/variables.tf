variable "name_prefix" {
  description = "<project>-<env>: prefix of every name."
  type        = string
}

variable "names" {
  description = "The naming module's `shared` output (events_table, ingest_function, api)."
  type        = map(string)
}

variable "team_api_key_names" {
  description = "Team => API key name (naming team_api_keys)."
  type        = map(string)
}

variable "team_usage_plan_names" {
  description = "Team => usage plan name (naming team_usage_plans)."
  type        = map(string)
}

variable "teams" {
  description = "Team => API limits from config/platform.yaml (teams.<t>.api): rate_limit (requests/s), burst_limit, quota_per_day. One API key and usage plan each."
  type = map(object({
    rate_limit    = number
    burst_limit   = number
    quota_per_day = number
  }))

  validation {
    condition     = alltrue([for t in values(var.teams) : t.rate_limit > 0 && t.burst_limit > 0 && t.quota_per_day > 0])
    error_message = "rate_limit, burst_limit and quota_per_day must be positive."
  }
}

variable "lambda_environment" {
  description = "Environment variables shared by every function (PLATFORM_ENV, EVENTS_TABLE, RAW_BUCKET, REJECTED_BUCKET, CURATED_BUCKET, OUTBOX_QUEUE_NAME, POWERTOOLS_METRICS_NAMESPACE); the module adds POWERTOOLS_SERVICE_NAME and API_KEY_TEAMS."
  type        = map(string)
}

variable "artifact" {
  description = "Ingest function code: {s3_bucket, s3_key, s3_object_version, source_code_hash}."
  type = object({
    s3_bucket         = string
    s3_key            = string
    s3_object_version = string
    source_code_hash  = string
  })
}

variable "layers" {
  description = "Layer ARNs of the function (the dependencies layer)."
  type        = list(string)
}

variable "handler" {
  description = "Ingest handler."
  type        = string
  default     = "lambdas.ingest.handler.lambda_handler"
}

variable "memory_size" {
  description = "Ingest function memory (MB)."
  type        = number
  default     = 512
}

variable "reserved_concurrency" {
  description = "Reserved concurrency of the ingest function (-1: unreserved). Usage plans already cap each team."
  type        = number
  default     = 50
}

variable "rejected_bucket_arn" {
  description = "ARN of the rejected zone bucket (invalid events and their reasons)."
  type        = string
}

variable "kms_key_arn" {
  description = "The environment's data key (table, logs, environment variables)."
  type        = string
}

variable "point_in_time_recovery" {
  description = "PITR on the events table (config environments.<env>.point_in_time_recovery)."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Deletion protection on the events table (config environments.<env>.deletion_protection)."
  type        = bool
  default     = true
}

variable "ttl_attribute" {
  description = "TTL attribute of the events table (the idempotency window; written by the ingest Lambda)."
  type        = string
  default     = "expires_at"
}

variable "stage_name" {
  description = "API Gateway stage; URLs are https://<id>.execute-api.<region>.amazonaws.com/<stage>/v1/..."
  type        = string
  default     = "live"
}

variable "stage_throttle" {
  description = "Stage-wide throttle (all teams together): {rate_limit, burst_limit}."
  type        = object({ rate_limit = number, burst_limit = number })
  default     = { rate_limit = 1000, burst_limit = 2000 }
}

variable "detailed_metrics" {
  description = "Per-method CloudWatch metrics (billed as custom metrics, about 0.30 USD each per month); the stage-level metrics the dashboard and alarms use are free and always on."
  type        = bool
  default     = false
}

variable "manage_account_settings" {
  description = "Manage the region's API Gateway account settings (the CloudWatch Logs role). One stack per account and region must own them."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the function's and the API's log groups."
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
