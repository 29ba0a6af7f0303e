variable "domain" {
  description = "The domain of the services' sender addresses (platform_config mail_domains)."
  type        = string

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,}$", lower(var.domain)))
    error_message = "domain must be a domain name."
  }
}

variable "tags" {
  description = "Tags of the identity."
  type        = map(string)
  default     = {}
}
