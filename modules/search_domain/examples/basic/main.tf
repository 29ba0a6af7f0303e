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

module "search" {
  source = "../.."

  name               = "stockoss-dev-documents-d-1a2b"
  writer_role_arns   = ["arn:aws:iam::123456789012:role/stockoss-dev-documents-documents-processor"]
  reader_role_arns   = ["arn:aws:iam::123456789012:role/stockoss-dev-documents-documents-api"]
  kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  log_retention_days = 14
}

output "endpoint" {
  description = "OPENSEARCH_ENDPOINT of the functions."
  value       = module.search.endpoint
}
