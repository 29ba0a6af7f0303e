variable "config_path" {
  description = "Path of config/platform.yaml: accounts, allowed regions and the project name come from it."
  type        = string
  default     = "../../config/platform.yaml"
}

variable "member_account_role_name" {
  description = "Role AWS Organizations creates in each new account for the management account (the platform's break-glass/deploy role, protected by SCP)."
  type        = string
  default     = "OrganizationAccountAccessRole"
}

variable "s3_encryption_header_mode" {
  description = "SCP on S3 puts: `required` denies any PutObject that does not ask for SSE-KMS/DSSE/SSE-S3 explicitly (x-amz-server-side-encryption), `if-present` only denies requests asking for anything else (buckets encrypt by default anyway)."
  type        = string
  default     = "required"

  validation {
    condition     = contains(["required", "if-present"], var.s3_encryption_header_mode)
    error_message = "s3_encryption_header_mode must be required or if-present."
  }
}

variable "close_accounts_on_deletion" {
  description = "Close a member account when it is removed from Terraform (false: it is only removed from the organisation)."
  type        = bool
  default     = false
}
