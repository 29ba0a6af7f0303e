# The environment's workload account, reached from the management account.
provider "aws" {
  region = module.config.region

  assume_role {
    role_arn     = "arn:aws:iam::${local.account_id}:role/${var.deploy_role_name}"
    session_name = "terraform-${var.environment}"
  }

  # Refuse to touch any other account, whatever the credentials.
  allowed_account_ids = [local.account_id]

  default_tags {
    tags = {
      Project     = module.config.project
      Environment = var.environment
      ManagedBy   = "terraform/environment"
    }
  }
}
