terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

# Management account.
provider "aws" {
  region = "eu-west-1"
}

provider "aws" {
  alias  = "log_archive"
  region = "eu-west-1"

  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/OrganizationAccountAccessRole"
  }
}

module "central_logging" {
  source = "../.."

  providers = {
    aws             = aws
    aws.log_archive = aws.log_archive
  }

  name_prefix     = "stockoss-org"
  region          = "eu-west-1"
  organization_id = "o-exampleorgid"
}

output "log_destination_arn" {
  value = module.central_logging.log_destination_arn
}
