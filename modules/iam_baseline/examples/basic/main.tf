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

module "iam" {
  source = "../.."

  project                = "stockoss"
  environment            = "dev"
  trusted_principal_arns = ["arn:aws:iam::111111111111:root"]
  github_repository      = "example/stockoss"
}

output "roles" {
  value = module.iam.role_arns
}
