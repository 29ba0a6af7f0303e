variable "name" {
  description = "The domain's name (naming `services[<name>].search_domain`): 3 to 28 lowercase letters, digits and hyphens, starting with a letter."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,27}$", var.name))
    error_message = "name must be 3-28 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "engine_version" {
  description = "OpenSearch version (services.<name>.search.engine_version)."
  type        = string
  default     = "OpenSearch_2.19"

  validation {
    condition     = can(regex("^OpenSearch_\\d+\\.\\d+$", var.engine_version))
    error_message = "engine_version must be OpenSearch_<major>.<minor>."
  }
}

variable "instance_type" {
  description = "Data node instance type (services.<name>.search.instance_type)."
  type        = string
  default     = "t3.small.search"

  validation {
    condition     = can(regex("^[a-z0-9]+\\.[a-z0-9]+\\.search$", var.instance_type))
    error_message = "instance_type must be an OpenSearch instance type such as t3.small.search."
  }
}

variable "instance_count" {
  description = "Data nodes (services.<name>.search.instance_count): one, or an even number spread over two availability zones."
  type        = number
  default     = 1

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 10 && (var.instance_count == 1 || var.instance_count % 2 == 0)
    error_message = "instance_count must be 1, or an even number up to 10 (two availability zones)."
  }
}

variable "volume_gb" {
  description = "gp3 volume per data node, in GiB (services.<name>.search.volume_gb)."
  type        = number
  default     = 10

  validation {
    condition     = var.volume_gb >= 10 && var.volume_gb <= 1024
    error_message = "volume_gb must be 10-1024."
  }
}

variable "writer_role_arns" {
  description = "IAM roles the access policy lets create indexes, index documents and search (GET, HEAD, POST, PUT): the function of the service that declares the domain."
  type        = list(string)

  validation {
    condition     = length(var.writer_role_arns) > 0 && alltrue([for arn in var.writer_role_arns : can(regex("^arn:aws[a-z-]*:iam::\\d{12}:role/", arn))])
    error_message = "writer_role_arns must be one or more IAM role ARNs."
  }
}

variable "reader_role_arns" {
  description = "IAM roles the access policy lets search only (GET and POST on <index>/_search): the functions of the services that use the declaring one."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.reader_role_arns : can(regex("^arn:aws[a-z-]*:iam::\\d{12}:role/", arn))])
    error_message = "reader_role_arns must be IAM role ARNs."
  }
}

variable "kms_key_arn" {
  description = "The platform's key: encrypts the domain's data at rest and its log groups."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the domain's logs (config environments.<env>.log_retention_days)."
  type        = number
}

variable "log_subscription_destination_arn" {
  description = "Cross-account CloudWatch Logs destination of the organisation's log archive; null: no subscription."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of the domain and its log groups."
  type        = map(string)
  default     = {}
}
