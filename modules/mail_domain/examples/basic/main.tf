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

module "domain" {
  source = "../.."

  domain = "stockoss.example.com"
}

output "dkim_records" {
  description = "The DNS records to publish."
  value       = module.domain.dkim_records
}
