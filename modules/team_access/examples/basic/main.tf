terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

# Two teams of a dev environment: orders with its queue and DLQ, analytics with no queue.
provider "aws" {
  region = "eu-west-1"
}

module "team_access" {
  source = "../.."

  name_prefix = "stockoss-dev"
  region      = "eu-west-1"
  account_id  = "123456789012"
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  teams = {
    orders = {
      workgroup = "stockoss-dev-orders-analytics"
      queue_arns = [
        "arn:aws:sqs:eu-west-1:123456789012:stockoss-dev-orders-events",
        "arn:aws:sqs:eu-west-1:123456789012:stockoss-dev-orders-events-dlq",
      ]
    }
    analytics = {
      workgroup  = "stockoss-dev-analytics-analytics"
      queue_arns = []
    }
  }
  curated_bucket         = "stockoss-dev-curated-123456789012"
  athena_results_bucket  = "stockoss-dev-athena-results-123456789012"
  glue_database          = "stockoss_dev_lake"
  trusted_principal_arns = ["arn:aws:iam::123456789012:root"]
}

output "role_arns" {
  description = "Team => role ARN."
  value       = module.team_access.role_arns
}
