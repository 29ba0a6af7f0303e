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
  artifact = {
    s3_bucket         = module.names.shared.artifacts_bucket
    s3_key            = "lambda/functions/x/abc.zip"
    s3_object_version = "1"
    source_code_hash  = "abc="
  }
}

module "fanout" {
  source = "../.."

  name_prefix        = module.names.prefix
  names              = module.names.shared
  team_queues        = { for t, q in module.names.team_queues : t => { queue = q, dlq = module.names.team_dlqs[t] } }
  sqs                = { visibility_timeout_seconds = 60, message_retention_seconds = 345600, dlq_retention_seconds = 1209600, max_receive_count = 5, consumer_batch_size = 10 }
  fanout             = { batch_size = 100, batching_window_seconds = 1, maximum_retry_attempts = 3, bisect_batch_on_function_error = true, parallelization_factor = 1 }
  events_stream_arn  = "arn:aws:dynamodb:eu-west-1:123456789012:table/stockoss-dev-events/stream/2024-01-01T00:00:00.000"
  raw_bucket_arn     = "arn:aws:s3:::${module.names.buckets.raw}"
  lambda_environment = { PLATFORM_ENV = "dev" }
  artifacts          = { fanout = local.artifact, kafka-bridge = local.artifact }
  layers             = []
  kafka              = { mode = "external", bootstrap_servers = "kafka.example.com:9098", security_protocol = "SASL_SSL" }
  kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  log_retention_days = 14
}
