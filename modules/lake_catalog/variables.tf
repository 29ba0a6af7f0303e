variable "athena_dir" {
  description = "The repository's athena/ directory: tables/*.json (table contracts), queries/*.sql and views/*.sql (named queries), checks/*.sql (data-quality checks)."
  type        = string
}

variable "teams" {
  description = "Team names: `values_from: teams` in a projection expands to them."
  type        = list(string)
}

variable "buckets" {
  description = "Zone (raw, rejected, curated, ...) => bucket name: a table's `bucket` picks its zone (default curated)."
  type        = map(string)

  validation {
    condition     = contains(keys(var.buckets), "curated")
    error_message = "buckets needs at least the curated zone."
  }
}

variable "workgroups" {
  description = "Team => Athena workgroup: every named query is created in each."
  type        = map(string)
  default     = {}
}
