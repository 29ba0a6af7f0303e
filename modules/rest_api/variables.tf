variable "name" {
  description = "Name of the REST API (<project>-<env>-<key>-api); also names its log groups."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.name))
    error_message = "name must be 1-128 letters, digits, _ and -."
  }
}

variable "description" {
  description = "What the API serves."
  type        = string
  default     = ""
}

variable "body" {
  description = "The API's OpenAPI 3.0 definition with its x-amazon-apigateway-* extensions (api_definition `apis[<key>].body`)."
  type        = string

  validation {
    condition     = can(jsondecode(var.body).paths) && can(jsondecode(var.body)["x-amazon-apigateway-api-key-source"])
    error_message = "body must be an OpenAPI JSON document with paths and x-amazon-apigateway-api-key-source (from modules/api_definition)."
  }
}

variable "stage_name" {
  description = "The stage; URLs are https://<id>.execute-api.<region>.amazonaws.com/<stage>/..."
  type        = string
  default     = "live"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name must be letters, digits, _ and -."
  }
}

variable "stage_throttle" {
  description = "Stage-wide throttle (all clients together): {rate_limit (requests/s), burst_limit}."
  type        = object({ rate_limit = number, burst_limit = number })
  default     = { rate_limit = 1000, burst_limit = 2000 }

  validation {
    condition     = var.stage_throttle.rate_limit > 0 && var.stage_throttle.burst_limit > 0
    error_message = "stage_throttle limits must be positive."
  }
}

variable "clients" {
  description = "Client key => {description, key_name, plan_name, rate_limit (requests/s), burst_limit, quota_per_day (null: none)}: an API key and a usage plan each (the teams, and the clients of the services' authorizers)."
  type = map(object({
    description   = string
    key_name      = string
    plan_name     = string
    rate_limit    = number
    burst_limit   = number
    quota_per_day = optional(number)
  }))
  default = {}

  validation {
    condition     = alltrue([for c in values(var.clients) : c.rate_limit > 0 && c.burst_limit > 0 && (c.quota_per_day == null ? true : c.quota_per_day > 0)])
    error_message = "rate_limit, burst_limit and quota_per_day must be positive."
  }
}

variable "detailed_metrics" {
  description = "Per-method CloudWatch metrics (billed as custom metrics, about 0.30 USD each per month); the stage-level metrics the dashboard and alarms use are free and always on."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "The environment's data key (log groups)."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the API's log groups."
  type        = number
}

variable "log_subscription_destination_arn" {
  description = "Cross-account CloudWatch Logs destination of the organisation's log archive (null: none)."
  type        = string
  default     = null
}

variable "throttled_requests_namespace" {
  description = "CloudWatch namespace of the `ThrottledRequests` metric (429 answers per API key, dimension apiKeyId) counted from the access log; null: no such metric."
  type        = string
  default     = null

  validation {
    condition     = var.throttled_requests_namespace == null || can(regex("^[A-Za-z0-9/_.#:-]{1,255}$", var.throttled_requests_namespace))
    error_message = "throttled_requests_namespace must be a CloudWatch namespace (letters, digits, / _ . # : -)."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
