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

  names              = module.names.shared
  team_api_key_ids   = { orders = "a1b2c3d4e5" }
  lambda_environment = { PLATFORM_ENV = "dev", EVENTS_TABLE = module.names.shared.events_table }
  layers             = []
  api = {
    execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123"
    routes        = [{ method = "POST", path = "/v1/events" }, { method = "GET", path = "/v1/schemas/{event_type}" }]
  }
  rejected_bucket_arn = "arn:aws:s3:::${module.names.buckets.rejected}"
  kms_key_arn         = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  log_retention_days  = 14
  deletion_protection = false
  artifact = {
    s3_bucket         = module.names.shared.artifacts_bucket
    s3_key            = "lambda/functions/ingest/abc.zip"
    s3_object_version = "1"
    source_code_hash  = "abc="
  }
}

output "events_table" {
  description = "The events table."
  value       = module.ingestion_api.events_table_name
}
