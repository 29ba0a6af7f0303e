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

module "config" {
  source = "../../../platform_config"

  config_yaml = file("${path.module}/../../../../config/platform.yaml")
  environment = "dev"
}

module "network" {
  source   = "../.."
  for_each = module.config.team_cidrs

  name                     = "stockoss-dev-${each.key}-vpc"
  cidr_block               = each.value
  private_subnet_cidrs     = module.config.team_subnets[each.key].private
  public_subnet_cidrs      = module.config.team_subnets[each.key].public
  flow_log_destination_arn = "arn:aws:s3:::stockoss-org-log-archive-111111111111/vpc-flow-logs"
}
