output "bucket_names" {
  description = "Zone (raw, rejected, curated, athena_results) => bucket name."
  value       = { for k, b in module.bucket : k => b.id }
}

output "bucket_arns" {
  description = "Zone => bucket ARN."
  value       = { for k, b in module.bucket : k => b.arn }
}

output "glue_job_name" {
  description = "Name of the raw -> curated Glue job."
  value       = aws_glue_job.raw_to_curated.name
}

output "glue_job_arn" {
  description = "ARN of the Glue job."
  value       = aws_glue_job.raw_to_curated.arn
}

output "table_names" {
  description = "Glue catalog tables created from athena/tables/*.json."
  value       = keys(aws_glue_catalog_table.this)
}

output "named_queries" {
  description = "<team>/<query> => named query id."
  value       = { for k, q in aws_athena_named_query.this : k => q.id }
}

output "state_machine_arn" {
  description = "ARN of the lake pipeline state machine (null when orchestration is disabled)."
  value       = try(aws_sfn_state_machine.pipeline[0].arn, null)
}

output "data_quality_checks" {
  description = "Names of the data-quality checks the pipeline runs (athena/checks/*.sql)."
  value       = keys(local.checks)
}
