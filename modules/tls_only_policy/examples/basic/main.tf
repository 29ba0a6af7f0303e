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

  description = "example: a TLS-only topic"
  alias       = "example-tls-only-topic"
}

resource "aws_sns_topic" "example" {
  name              = "example-tls-only"
  kms_master_key_id = module.key.arn
}

module "tls_only" {
  source = "../.."

  actions   = ["sns:Publish"]
  resources = [aws_sns_topic.example.arn]
}

# The topic's own statements, then the TLS-only statement after them (override_policy_documents
# appends a statement whose Sid matches none; source_policy_documents would put it first).
data "aws_iam_policy_document" "topic" {
  override_policy_documents = [module.tls_only.json]

  statement {
    sid       = "AccountPublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.example.arn]

    principals {
      type        = "AWS"
      identifiers = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "example" {
  arn    = aws_sns_topic.example.arn
  policy = data.aws_iam_policy_document.topic.json
}

output "policy" {
  description = "The topic's policy."
  value       = data.aws_iam_policy_document.topic.json
}
