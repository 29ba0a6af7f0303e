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

module "key" {
  source = "../../../kms_key"

  description            = "example: log groups"
  alias                  = "example-logs"
  cloudwatch_logs_region = "eu-west-1"
}

module "logs" {
  source = "../.."

  name           = "/example/application"
  retention_days = 30
  kms_key_arn    = module.key.arn
  # subscription_destination_arn = "arn:aws:logs:eu-west-1:<log-archive account>:destination:<name>"
}

output "log_group" {
  description = "The log group."
  value       = module.logs.name
}
