data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region
}

# --- Zones: raw, rejected, curated, Athena results ------------------------------------
locals {
  zones = {
    raw = {
      lifecycle_rules = [{
        id     = "raw-to-ia-then-glacier"
        prefix = "raw/"
        transitions = [
          { days = var.lake.raw_transition_ia_days, storage_class = "STANDARD_IA" },
          { days = var.lake.raw_transition_glacier_days, storage_class = "GLACIER" },
        ]
      }]
    }
    rejected = {
      lifecycle_rules = [{
        id              = "rejected-expiry"
        prefix          = "rejected/"
        expiration_days = var.lake.rejected_expiry_days
      }]
    }
    curated = {
      lifecycle_rules = [{
        id              = "quarantine-expiry"
        prefix          = "quarantine/"
        expiration_days = 90
      }]
    }
    athena_results = {
      lifecycle_rules = [{
        id              = "query-results-expiry"
        expiration_days = 30
      }]
    }
  }
}

module "bucket" {
  source   = "../s3_bucket"
  for_each = local.zones

  name                               = var.bucket_names[each.key]
  kms_key_arn                        = var.kms_key_arn
  access_log_bucket                  = var.access_log_bucket
  force_destroy                      = var.force_destroy
  lifecycle_rules                    = each.value.lifecycle_rules
  noncurrent_version_expiration_days = each.key == "athena_results" ? 1 : 30
  eventbridge_notifications          = each.key == "raw"
  tags                               = merge(var.tags, { Zone = each.key })
}
