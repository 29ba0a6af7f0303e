output "state_bucket" {
  description = "Name of the state bucket (the `bucket` of every backend)."
  value       = module.state.id
}

output "state_kms_key_arn" {
  description = "KMS key of the state bucket (`kms_key_id` of the backends)."
  value       = module.state_key.arn
}

output "region" {
  description = "Region of the state bucket."
  value       = local.region
}
