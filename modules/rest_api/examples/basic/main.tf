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

# The REST API of api/openapi.yaml, with one team's key and plan.
module "definition" {
  source = "../../../api_definition"

  openapi_yaml = file("${path.module}/../../../../api/openapi.yaml")
  name         = "stockoss-dev-api"
  region       = "eu-west-1"
  function_arns = {
    ingest            = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-ingest"
    orders-api        = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-orders-orders-api"
    orders-authorizer = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-orders-orders-authorizer"
    documents-api     = "arn:aws:lambda:eu-west-1:123456789012:function:stockoss-dev-documents-documents-api"
  }
}

module "api" {
  source = "../.."

  name = "stockoss-dev-api"
  body = module.definition.body
  clients = {
    orders = {
      description   = "team orders"
      key_name      = "stockoss-dev-orders-api-key"
      plan_name     = "stockoss-dev-orders-usage-plan"
      rate_limit    = 50
      burst_limit   = 100
      quota_per_day = 5000000
    }
  }
  kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  log_retention_days = 14
}

output "invoke_url" {
  description = "Base URL of the stage."
  value       = module.api.invoke_url
}
