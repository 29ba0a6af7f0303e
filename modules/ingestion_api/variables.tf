variable "names" {
  description = "The naming module's `shared` output (events_table, ingest_function)."
  type        = map(string)

  validation {
    condition     = can(var.names.events_table) && can(var.names.ingest_function)
    error_message = "names must be naming's `shared` output (events_table, ingest_function)."
  }
}

variable "team_api_key_ids" {
  description = "Team => the id of its API key on the REST API: the function's API_KEY_TEAMS, so the team is the key's owner, never the body's."
  type        = map(string)
}

variable "api" {
  description = "The REST API: {execution_arn, routes = [{method, path}]} (the routes whose x-platform-function is ingest)."
  type = object({
    execution_arn = string
    routes        = list(object({ method = string, path = string }))
  })

  validation {
    condition     = length(var.api.routes) > 0
    error_message = "The ingest function serves at least one route (POST /v1/events)."
  }
}

variable "team_api_key_secrets" {
  description = "Team => name of the Secrets Manager secret holding its API key (naming team_api_key_secrets), for the teams whose services emit events."
  type        = map(string)
  default     = {}
}

variable "team_api_key_values" {
  description = "Team => its API key value (rest_api's api_key_values): the value of its secret."
  type        = map(string)
  default     = {}
  sensitive   = true
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

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240."
  }
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

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]{0,63}$", var.ttl_attribute))
    error_message = "ttl_attribute must be a DynamoDB attribute name."
  }
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
