variable "name" {
  description = "Function name (<project>-<env>[-<team>]-<purpose>); also names its role and log group."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-_]{1,64}$", var.name))
    error_message = "Lambda function names are 1-64 letters, digits, hyphens and underscores."
  }
}

variable "description" {
  description = "Function description."
  type        = string
  default     = ""
}

variable "handler" {
  description = "Handler, e.g. lambdas.ingest.handler.lambda_handler (also the image's CMD for an image function)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$", var.handler))
    error_message = "handler must be <dotted module>.<function>."
  }
}

variable "artifact" {
  description = "Zip code location: {s3_bucket, s3_key, s3_object_version, source_code_hash} (shared_services function_artifacts[...]); null for an image function."
  type = object({
    s3_bucket         = string
    s3_key            = string
    s3_object_version = string
    source_code_hash  = string
  })
  default = null
}

variable "image_uri" {
  description = "Container image of an image function (<ECR repository URL>@sha256:<digest>); null for a zip function. Exactly one of artifact and image_uri is set."
  type        = string
  default     = null

  validation {
    condition     = (var.image_uri == null) != (var.artifact == null)
    error_message = "Set exactly one of artifact (a zip) and image_uri (an image)."
  }
}

variable "layers" {
  description = "Layer version ARNs (the dependencies layer)."
  type        = list(string)
  default     = []
}

variable "runtime" {
  description = "Lambda runtime."
  type        = string
  default     = "python3.12"
}

variable "architecture" {
  description = "x86_64 or arm64 (must match the packaged wheels)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240."
  }
}

variable "timeout" {
  description = "Timeout in seconds."
  type        = number
  default     = 30

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions (caps the function's share of the account's concurrency and protects downstream systems); -1 for unreserved."
  type        = number
  default     = -1
}

variable "environment" {
  description = "Environment variables (the contract with the Python code: PLATFORM_ENV, EVENTS_TABLE, ...)."
  type        = map(string)
  default     = {}
}

variable "policy_json" {
  description = "The function's own least-privilege IAM policy (JSON from aws_iam_policy_document). Logs and X-Ray are added by the module."
  type        = string
}

variable "kms_key_arn" {
  description = "Key encrypting the environment variables and the log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the function's log group."
  type        = number
}

variable "log_subscription_destination_arn" {
  description = "Cross-account CloudWatch Logs destination of the central archive (null: no subscription)."
  type        = string
  default     = null
}

variable "tracing_mode" {
  description = "X-Ray tracing: Active (sample and trace every invocation Lambda samples: about 1/s + 5 %) or PassThrough (only when the caller's trace is sampled; stream- and queue-triggered functions then record almost nothing, which saves about 5 USD per million invocations)."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "vpc_config" {
  description = "Run in a VPC: {subnet_ids, security_group_ids} (null: outside any VPC, reaching AWS APIs over TLS)."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the execution role (iam_baseline)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
