terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "names" {
  source = "../../../naming"

  project     = "stockoss"
  environment = "dev"
  teams       = ["orders"]
  account_id  = "123456789012"
}

module "ingestion_api" {
  source = "../.."

  name_prefix           = module.names.prefix
  names                 = module.names.shared
  team_api_key_names    = module.names.team_api_keys
  team_usage_plan_names = module.names.team_usage_plans
  teams                 = { orders = { rate_limit = 50, burst_limit = 100, quota_per_day = 5000000 } }
  lambda_environment    = { PLATFORM_ENV = "dev", EVENTS_TABLE = module.names.shared.events_table }
  layers                = []
  rejected_bucket_arn   = "arn:aws:s3:::${module.names.buckets.rejected}"
  kms_key_arn           = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  log_retention_days    = 14
  deletion_protection   = false
  artifact = {
    s3_bucket         = module.names.shared.artifacts_bucket
    s3_key            = "lambda/functions/ingest/abc.zip"
    s3_object_version = "1"
    source_code_hash  = "abc="
  }
}

output "invoke_url" {
  value = module.ingestion_api.invoke_url
}
