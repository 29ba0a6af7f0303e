# A private, encrypted, versioned S3 bucket with the controls every bucket of
# the platform needs: public access blocked, ACLs disabled (BucketOwnerEnforced),
# SSE-KMS with a bucket key, TLS-only policy, lifecycle hygiene, access logging.
resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage cost; POC data is rebuilt from the raw zone (see the DR runbook) and versioning + PITR cover RPO 15 min.
  #checkov:skip=CKV_AWS_18:Access logging is set by aws_s3_bucket_logging.this whenever access_log_bucket is given; only the access-log bucket itself has none (it cannot log to itself).
  #checkov:skip=CKV_AWS_145:SSE-KMS is the default; kms_key_arn = null (SSE-S3) is only used for the access-log target bucket, which S3 requires to be SSE-S3.
  #checkov:skip=CKV2_AWS_62:Event notifications go to EventBridge and/or the queues of queue_notifications (aws_s3_bucket_notification.this) when the caller asks for them.
  bucket              = var.name
  force_destroy       = var.force_destroy
  object_lock_enabled = var.object_lock_retention_days > 0
  tags                = var.tags
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_object_lock_configuration" "this" {
  count = var.object_lock_retention_days > 0 ? 1 : 0

  bucket = aws_s3_bucket.this.id

  rule {
    default_retention {
      mode = var.object_lock_mode
      days = var.object_lock_retention_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "hygiene"
    status = "Enabled"

    # The whole bucket: an explicit empty prefix (an empty `filter {}` draws a
    # provider warning since 5.90).
    filter {
      prefix = ""
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
  }

  dynamic "rule" {
    for_each = { for r in var.lifecycle_rules : r.id => r }

    content {
      id     = rule.value.id
      status = "Enabled"

      filter {
        prefix = rule.value.prefix
      }

      dynamic "transition" {
        for_each = rule.value.transitions

        content {
          days          = transition.value.days
          storage_class = transition.value.storage_class
        }
      }

      dynamic "expiration" {
        for_each = rule.value.expiration_days == null ? [] : [rule.value.expiration_days]

        content {
          days = expiration.value
        }
      }

      dynamic "noncurrent_version_expiration" {
        for_each = rule.value.noncurrent_expiration_days == null ? [] : [rule.value.noncurrent_expiration_days]

        content {
          noncurrent_days = noncurrent_version_expiration.value
        }
      }
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count = var.access_log_bucket == null ? 0 : 1

  bucket        = aws_s3_bucket.this.id
  target_bucket = var.access_log_bucket
  target_prefix = coalesce(var.access_log_prefix, "${var.name}/")
}

# One notification configuration per bucket (S3's rule): EventBridge and the queues together.
resource "aws_s3_bucket_notification" "this" {
  count = var.eventbridge_notifications || length(var.queue_notifications) > 0 ? 1 : 0

  bucket      = aws_s3_bucket.this.id
  eventbridge = var.eventbridge_notifications

  dynamic "queue" {
    for_each = var.queue_notifications

    content {
      queue_arn     = queue.value.queue_arn
      events        = queue.value.events
      filter_prefix = queue.value.prefix == "" ? null : queue.value.prefix
      filter_suffix = queue.value.suffix == "" ? null : queue.value.suffix
    }
  }
}

module "deny_insecure_transport" {
  source = "../tls_only_policy"

  actions   = ["s3:*"]
  resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
}

data "aws_iam_policy_document" "tls_only" {
  source_policy_documents = concat(var.policy_documents, [module.deny_insecure_transport.json])

  statement {
    sid       = "DenyOutdatedTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.tls_only.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}
