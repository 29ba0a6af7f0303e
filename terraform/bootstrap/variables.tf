variable "config_path" {
  description = "Path of config/platform.yaml (project and region come from it)."
  type        = string
  default     = "../../config/platform.yaml"
}

variable "state_reader_principal_arns" {
  description = "Extra principals (e.g. the CI runner's role) allowed to use the state bucket and key; the management account's own principals always can."
  type        = list(string)
  default     = []
}
