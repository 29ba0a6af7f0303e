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

# A toy service declared in a copy of the configuration, wired the way modules/environment
# wires every declared service: its declaration from platform_config, its names and
# environment from naming.
locals {
  config_yaml = <<-YAML
    ${file("${path.module}/../../../../config/platform.yaml")}
      toy:
        team: billing
        description: Files what lands under in/ of its bucket
        handler: lambdas.toy.handler.lambda_handler
        trigger: {type: s3, bucket: inbox, prefix: in/}
        tables:
          files: {hash_key: key, ttl_attribute: expires_at}
        buckets:
          inbox: {lifecycle: [{prefix: in/, expiration_days: 7}]}
  YAML
}

module "config" {
  source = "../../../platform_config"

  config_yaml = local.config_yaml
  environment = "dev"
}

module "names" {
  source = "../../../naming"

  project     = module.config.project
  environment = "dev"
  account_id  = "123456789012"
  services = {
    toy = { team = "billing", tables = ["files"], buckets = ["inbox"] }
  }
}

module "toy" {
  source = "../.."

  name        = "toy"
  service     = module.config.services["toy"]
  names       = module.names.services["toy"]
  environment = module.names.service_environments["toy"]
  artifact = {
    s3_bucket         = "stockoss-dev-artifacts-123456789012"
    s3_key            = "lambda/functions/toy/abc.zip"
    s3_object_version = "1"
    source_code_hash  = "abc="
  }
  kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  access_log_bucket  = "stockoss-dev-s3-access-logs-123456789012"
  log_retention_days = 14
  force_destroy      = true
}

output "function" {
  description = "The toy's function."
  value       = module.toy.function_name
}
