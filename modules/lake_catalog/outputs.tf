output "tables" {
  description = "Table name => {description, location, input_format, output_format, serde, serde_params, columns, partition_keys, parameters (EXTERNAL, classification, projection.*, storage.location.template)}."
  value       = local.tables

  precondition {
    condition     = alltrue([for t in values(local.contracts) : contains(keys(local.formats), t.format)])
    error_message = "Every athena/tables/*.json format must be parquet or json."
  }
  precondition {
    condition     = alltrue([for t in values(local.contracts) : contains(keys(var.buckets), try(t.bucket, "curated"))])
    error_message = "A table names a bucket zone that is not in var.buckets."
  }
}

output "queries" {
  description = "Named query name => {sql, description}: athena/queries/*.sql and athena/views/*.sql (as view-<name>)."
  value       = local.queries
}

output "named_queries" {
  description = "\"<team>/<query>\" => {name, workgroup, sql, description}: every query in every team workgroup."
  value       = local.named_queries
}

output "checks" {
  description = "Data-quality check name => SQL (athena/checks/*.sql); each returns no rows when the lake is healthy."
  value       = local.checks
}
