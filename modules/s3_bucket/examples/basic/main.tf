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

data "aws_caller_identity" "current" {}

module "key" {
  source = "../../../kms_key"

  description = "Example bucket key"
  alias       = "example-bucket"
}

module "access_logs" {
  source = "../.."

  name                      = "example-access-logs-${data.aws_caller_identity.current.account_id}"
  eventbridge_notifications = false
}

module "bucket" {
  source = "../.."

  name              = "example-data-${data.aws_caller_identity.current.account_id}"
  kms_key_arn       = module.key.arn
  access_log_bucket = module.access_logs.id
  lifecycle_rules = [{
    id          = "archive"
    prefix      = "raw/"
    transitions = [{ days = 30, storage_class = "STANDARD_IA" }, { days = 90, storage_class = "GLACIER" }]
  }]
}
