# The Terraform state bucket of every other root (management account):
# versioned, SSE-KMS with its own rotated key, TLS-only, public access blocked,
# access-logged. Locking uses S3 native lock files (use_lockfile = true).
locals {
  config  = yamldecode(file(var.config_path))
  project = local.config.project
  region  = local.config.region
}

provider "aws" {
  region = local.region

  default_tags {
    tags = {
      Project   = local.project
      ManagedBy = "terraform/bootstrap"
    }
  }
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id   = data.aws_caller_identity.current.account_id
  state_bucket = "${local.project}-tfstate-${local.account_id}"
}

module "state_key" {
  source = "../../modules/kms_key"

  description         = "${local.project}: Terraform state"
  alias               = "${local.project}-tfstate"
  user_principal_arns = var.state_reader_principal_arns
}

moved {
  from = aws_kms_key.state
  to   = module.state_key.aws_kms_key.this
}

moved {
  from = aws_kms_alias.state
  to   = module.state_key.aws_kms_alias.this
}

module "access_logs" {
  source = "../../modules/s3_bucket"

  name                      = "${local.state_bucket}-access-logs"
  kms_key_arn               = null # S3 delivers server access logs to SSE-S3 buckets only
  eventbridge_notifications = false
  lifecycle_rules = [{
    id              = "access-logs"
    transitions     = [{ days = 30, storage_class = "GLACIER" }]
    expiration_days = 365
  }]
}

data "aws_iam_policy_document" "state_access" {
  dynamic "statement" {
    for_each = length(var.state_reader_principal_arns) > 0 ? [1] : []

    content {
      sid       = "StateUsers"
      actions   = ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources = ["arn:${data.aws_partition.current.partition}:s3:::${local.state_bucket}", "arn:${data.aws_partition.current.partition}:s3:::${local.state_bucket}/*"]

      principals {
        type        = "AWS"
        identifiers = var.state_reader_principal_arns
      }
    }
  }
}

module "state" {
  source = "../../modules/s3_bucket"

  name              = local.state_bucket
  kms_key_arn       = module.state_key.arn
  access_log_bucket = module.access_logs.id
  # Every state write is a version: keep 90 days of history to roll back a bad apply.
  noncurrent_version_expiration_days = 90
  eventbridge_notifications          = false
  policy_documents                   = length(var.state_reader_principal_arns) > 0 ? [data.aws_iam_policy_document.state_access.json] : []
}
