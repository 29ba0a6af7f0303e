# What the repository's configuration deploys for each service in dev (provider-free:
# `terraform plan` shows it without AWS credentials).
module "specs" {
  source = "../.."

  config_yaml = file("${path.module}/../../../../config/platform.yaml")
  environment = "dev"
  account_id  = "123456789012"
  api_url     = "https://abc123.execute-api.eu-west-1.amazonaws.com/live"
  arns = {
    kms_key       = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    api_execution = "arn:aws:execute-api:eu-west-1:123456789012:abc123"
  }
}

output "functions" {
  description = "Service => function name."
  value       = module.specs.function_names
}
