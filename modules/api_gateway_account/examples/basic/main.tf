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

module "account" {
  source = "../.."

  role_name = "stockoss-dev-apigateway-logs"
}

output "role_arn" {
  description = "The role API Gateway logs with."
  value       = module.account.role_arn
}
