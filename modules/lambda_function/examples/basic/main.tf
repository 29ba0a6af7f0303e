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

data "aws_iam_policy_document" "function" {
  statement {
    actions   = ["sqs:SendMessage"]
    resources = ["arn:aws:sqs:eu-west-1:123456789012:stockoss-dev-orders-events"]
  }
}

module "function" {
  source = "../.."

  name                 = "stockoss-dev-example"
  handler              = "lambdas.ingest.handler.lambda_handler"
  policy_json          = data.aws_iam_policy_document.function.json
  kms_key_arn          = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  log_retention_days   = 14
  reserved_concurrency = 5
  environment          = { PLATFORM_ENV = "dev" }
  artifact = {
    s3_bucket         = "stockoss-dev-artifacts-123456789012"
    s3_key            = "lambda/functions/ingest/abc.zip"
    s3_object_version = "1"
    source_code_hash  = "abc="
  }
}
