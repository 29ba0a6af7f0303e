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
  teams       = ["orders", "billing"]
  account_id  = "123456789012"
}

locals {
  repo = "${path.module}/../../../.."
}

module "data_lake" {
  source = "../.."

  name_prefix          = module.names.prefix
  environment          = "dev"
  names                = module.names.shared
  bucket_names         = module.names.buckets
  teams                = ["orders", "billing"]
  lake                 = { glue_version = "5.0", schedule = "cron(15 * * * ? *)", raw_transition_ia_days = 30, raw_transition_glacier_days = 90, rejected_expiry_days = 30, athena_bytes_scanned_cutoff = 1073741824 }
  kms_key_arn          = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  access_log_bucket    = module.names.shared.s3_access_logs
  glue_database        = module.names.shared.glue_database
  athena_dir           = "${local.repo}/athena"
  glue_script_path     = "${local.repo}/glue_jobs/raw_to_curated/job.py"
  glue_libs_path       = "${local.repo}/build/glue/glue_libs.zip"
  artifacts_bucket     = module.names.shared.artifacts_bucket
  artifacts_bucket_arn = "arn:aws:s3:::${module.names.shared.artifacts_bucket}"
  team_workgroups      = module.names.team_workgroups
  platform_workgroup   = "${module.names.prefix}-platform-analytics"
  alert_topic_arn      = "arn:aws:sns:eu-west-1:123456789012:stockoss-dev-alerts"
  log_retention_days   = 14
}
