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

# A service that encrypts on the account's behalf gets its statement from the caller.
data "aws_iam_policy_document" "topic_publishers" {
  #checkov:skip=CKV_AWS_111:Key policy: Resource "*" is the key itself.
  #checkov:skip=CKV_AWS_356:Key policy: Resource "*" is the key itself.
  statement {
    sid       = "AlarmsPublishToEncryptedTopics"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }
}

module "key" {
  source = "../.."

  description            = "example: data at rest"
  alias                  = "example-data"
  cloudwatch_logs_region = "eu-west-1"
  policy_documents       = [data.aws_iam_policy_document.topic_publishers.json]
  tags                   = { Project = "example" }
}

output "key_arn" {
  description = "The key."
  value       = module.key.arn
}
