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
# wires every declared service: its spec (declaration, names, environment, role statements)
# from service_specs.
locals {
  config_yaml = <<-YAML
    ${file("${path.module}/../../../../config/platform.yaml")}
      toy:
        team: documents
        description: Files what lands under in/ of its bucket
        handler: lambdas.toy.handler.lambda_handler
        trigger: {type: s3, bucket: inbox, prefix: in/}
        tables:
          files: {hash_key: key, ttl_attribute: expires_at}
        buckets:
          inbox: {lifecycle: [{prefix: in/, expiration_days: 7}]}
  YAML
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
}

module "specs" {
  source = "../../../service_specs"

  config_yaml = local.config_yaml
  environment = "dev"
  account_id  = "123456789012"
  arns = {
    kms_key       = local.kms_key_arn
    api_execution = "arn:aws:execute-api:eu-west-1:123456789012:abc123"
  }
}

module "toy" {
  source = "../.."

  name        = "toy"
  service     = module.specs.services["toy"].declaration
  names       = module.specs.services["toy"].names
  environment = module.specs.services["toy"].environment
  statements  = module.specs.services["toy"].statements
  artifact = {
    s3_bucket         = "stockoss-dev-artifacts-123456789012"
    s3_key            = "lambda/functions/toy/abc.zip"
    s3_object_version = "1"
    source_code_hash  = "abc="
  }
  kms_key_arn        = local.kms_key_arn
  access_log_bucket  = "stockoss-dev-s3-access-logs-123456789012"
  log_retention_days = 14
  force_destroy      = true
}

output "function" {
  description = "The toy's function."
  value       = module.toy.function_name
}
