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

module "platform" {
  source = "../.."

  config_yaml             = file("${path.module}/../../../../config/platform.yaml")
  environment             = "dev"
  repo_root               = "${path.module}/../../../.."
  trusted_principal_arns  = ["arn:aws:iam::111111111111:root"]
  github_repository       = "example/stockoss"
  kafka_bootstrap_servers = "kafka.example.com:9098"
}

output "api_invoke_url" {
  value = module.platform.api_invoke_url
}
