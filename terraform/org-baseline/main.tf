# Organisation-wide security baseline, applied after terraform/org created the
# accounts: the central log archive (log-archive account) with the
# organisation trail (management account), and GuardDuty for every account with
# the security account as delegated administrator.
module "config" {
  source = "../../modules/platform_config"

  config_yaml = file(var.config_path)
}

data "terraform_remote_state" "org" {
  backend = "s3"

  config = {
    bucket = var.state_bucket
    key    = "org/terraform.tfstate"
    region = module.config.region
  }
}

locals {
  project   = module.config.project
  org       = data.terraform_remote_state.org.outputs
  role_name = local.org.member_account_role_name
}

provider "aws" {
  region = module.config.region

  default_tags {
    tags = {
      Project   = local.project
      ManagedBy = "terraform/org-baseline"
    }
  }
}

provider "aws" {
  alias  = "log_archive"
  region = module.config.region

  assume_role {
    role_arn     = "arn:aws:iam::${local.org.accounts["log-archive"].id}:role/${local.role_name}"
    session_name = "terraform-org-baseline"
  }

  default_tags {
    tags = {
      Project   = local.project
      ManagedBy = "terraform/org-baseline"
    }
  }
}

provider "aws" {
  alias  = "security"
  region = module.config.region

  assume_role {
    role_arn     = "arn:aws:iam::${local.org.accounts["security"].id}:role/${local.role_name}"
    session_name = "terraform-org-baseline"
  }

  default_tags {
    tags = {
      Project   = local.project
      ManagedBy = "terraform/org-baseline"
    }
  }
}

module "central_logging" {
  source = "../../modules/central_logging"
  providers = {
    aws             = aws
    aws.log_archive = aws.log_archive
  }

  name_prefix                     = "${local.project}-org"
  region                          = module.config.region
  organization_id                 = local.org.organization_id
  archive_glacier_transition_days = var.log_archive_retention.glacier_transition_days
  archive_expiration_days         = var.log_archive_retention.expiration_days
  object_lock_retention_days      = var.log_archive_retention.object_lock_days
}

module "security" {
  source = "../../modules/security"
  providers = {
    aws            = aws.security
    aws.management = aws
  }

  name_prefix                  = "${local.project}-security"
  region                       = module.config.region
  alert_emails                 = var.security_alert_emails
  guardduty_organization_admin = true
}
