variable "description" {
  description = "What the key encrypts (shown in the KMS console)."
  type        = string

  validation {
    condition     = length(var.description) > 0 && length(var.description) <= 8192
    error_message = "description must be 1 to 8192 characters."
  }
}

variable "alias" {
  description = "Alias of the key, without the `alias/` prefix (e.g. stockoss-dev-data)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9/_-]{1,250}$", var.alias)) && !startswith(var.alias, "aws/")
    error_message = "alias must be 1-250 letters, digits, /, _ or - and must not start with aws/ (reserved for AWS managed keys)."
  }
}

variable "cloudwatch_logs_region" {
  description = "Region whose CloudWatch Logs service may encrypt this account's log groups with the key (null: none)."
  type        = string
  default     = null

  validation {
    condition     = var.cloudwatch_logs_region == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.cloudwatch_logs_region))
    error_message = "cloudwatch_logs_region must be a region name such as eu-west-1."
  }
}

variable "user_principal_arns" {
  description = "IAM principals (often of other accounts) that may encrypt and decrypt with the key; principals of this account are granted use through their IAM policies instead."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.user_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:", arn))])
    error_message = "user_principal_arns must be IAM ARNs (arn:<partition>:iam::<account>:...)."
  }
}

variable "policy_documents" {
  description = "Further key policy statements, as IAM policy documents (aws_iam_policy_document json): the AWS services that use the key on the account's behalf."
  type        = list(string)
  default     = []
}

variable "deletion_window_days" {
  description = "Waiting period before a scheduled deletion of the key (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_days >= 7 && var.deletion_window_days <= 30
    error_message = "deletion_window_days must be between 7 and 30."
  }
}

variable "rotation_period_days" {
  description = "Automatic rotation period of the key material (90-2560 days)."
  type        = number
  default     = 365

  validation {
    condition     = var.rotation_period_days >= 90 && var.rotation_period_days <= 2560
    error_message = "rotation_period_days must be between 90 and 2560."
  }
}

variable "tags" {
  description = "Tags of the key."
  type        = map(string)
  default     = {}
}
