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

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_111:Key policy: Resource "*" is the key itself.
  #checkov:skip=CKV_AWS_356:Key policy: Resource "*" is the key itself.
  #checkov:skip=CKV_AWS_109:Key policy: the account root keeps administration of its own key (AWS default key policy).
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "example" {
  description         = "Example bucket key"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.key.json
}

module "access_logs" {
  source = "../.."

  name                      = "example-access-logs-${data.aws_caller_identity.current.account_id}"
  eventbridge_notifications = false
}

module "bucket" {
  source = "../.."

  name              = "example-data-${data.aws_caller_identity.current.account_id}"
  kms_key_arn       = aws_kms_key.example.arn
  access_log_bucket = module.access_logs.id
  lifecycle_rules = [{
    id          = "archive"
    prefix      = "raw/"
    transitions = [{ days = 30, storage_class = "STANDARD_IA" }, { days = 90, storage_class = "GLACIER" }]
  }]
}
