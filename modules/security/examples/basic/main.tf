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

# An environment's key and alert topic (no GuardDuty administration here: pass
# the same provider as aws.management).
module "security" {
  source = "../.."

  providers = {
    aws            = aws
    aws.management = aws
  }

  name_prefix  = "stockoss-dev"
  region       = "eu-west-1"
  alert_emails = ["platform-alerts@example.com"]
}

output "kms_key_arn" {
  value = module.security.kms_key_arn
}
