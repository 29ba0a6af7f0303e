variable "role_name" {
  description = "Name of the role API Gateway writes logs with (<project>-<env>-apigateway-logs)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.role_name))
    error_message = "role_name must be a valid IAM role name (1-64 characters)."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the role (iam_baseline)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of the role."
  type        = map(string)
  default     = {}
}
