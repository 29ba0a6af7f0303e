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

module "shared" {
  source = "../.."

  name_prefix                 = module.names.prefix
  names                       = module.names.shared
  kms_key_arn                 = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  access_log_bucket           = module.names.shared.s3_access_logs
  log_retention_days          = 14
  artifacts_dir               = "${path.module}/../../../../build/lambda"
  function_artifacts          = { ingest = "ingest.zip", fanout = "fanout.zip", kafka-bridge = "kafka-bridge.zip" }
  workgroups                  = module.names.team_workgroups
  athena_results_bucket       = module.names.buckets.athena_results
  athena_bytes_scanned_cutoff = 1073741824
  kafka_mode                  = "external"
  external_bootstrap_servers  = "kafka.example.com:9096"
}
