variable "openapi_yaml" {
  description = "The OpenAPI document (file(\"<repo>/api/openapi.yaml\")): its paths, their x-platform-function, and its security schemes."
  type        = string

  validation {
    condition     = can(yamldecode(var.openapi_yaml).paths) && startswith(tostring(try(yamldecode(var.openapi_yaml).openapi, "")), "3.")
    error_message = "openapi_yaml must be an OpenAPI 3 document with paths."
  }
}

variable "function_arns" {
  description = "Function key (`ingest`, or a declared service's name) => the Lambda function's ARN (built from its name, so the APIs do not wait for the functions)."
  type        = map(string)

  validation {
    condition     = alltrue([for arn in values(var.function_arns) : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}$", arn))])
    error_message = "function_arns must map keys to Lambda function ARNs."
  }
}

variable "name" {
  description = "The API's title (its name, naming `shared.api`)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.name))
    error_message = "name must be 1-128 letters, digits, _ and -."
  }
}

variable "region" {
  description = "Region of the functions (integration URIs)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be a region name such as eu-west-1."
  }
}

variable "partition" {
  description = "AWS partition of the ARNs (aws, aws-cn, aws-us-gov)."
  type        = string
  default     = "aws"

  validation {
    condition     = can(regex("^aws(-[a-z]+)*$", var.partition))
    error_message = "partition must be aws, aws-cn, aws-us-gov, ..."
  }
}

variable "integration_timeout_ms" {
  description = "Lambda integration timeout (API Gateway's default maximum is 29 s)."
  type        = number
  default     = 29000

  validation {
    condition     = var.integration_timeout_ms >= 50 && var.integration_timeout_ms <= 29000
    error_message = "integration_timeout_ms must be between 50 and 29000."
  }
}
