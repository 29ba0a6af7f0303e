variable "actions" {
  description = "The service's actions the statement denies over plain HTTP, e.g. [\"sqs:*\"], [\"s3:*\"] or [\"sns:Publish\"]."
  type        = list(string)

  validation {
    condition     = length(var.actions) > 0 && alltrue([for a in var.actions : can(regex("^[a-z0-9-]+:[A-Za-z*]+$", a))])
    error_message = "actions must be one or more <service>:<action> names (wildcards allowed), e.g. sqs:*."
  }
}

variable "resources" {
  description = "ARNs the policy is attached to (for a bucket, the bucket's and its objects' ARNs)."
  type        = list(string)

  validation {
    condition     = length(var.resources) > 0
    error_message = "resources must name at least one ARN."
  }
}
