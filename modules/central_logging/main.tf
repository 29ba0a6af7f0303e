data "aws_caller_identity" "management" {}

data "aws_caller_identity" "log_archive" {
  provider = aws.log_archive
}

data "aws_partition" "current" {}

locals {
  partition          = data.aws_partition.current.partition
  management_account = data.aws_caller_identity.management.account_id
  archive_account    = data.aws_caller_identity.log_archive.account_id
  trail_name         = "${var.name_prefix}-trail"
  trail_arn          = "arn:${local.partition}:cloudtrail:${var.region}:${local.management_account}:trail/${local.trail_name}"
  archive_bucket     = "${var.name_prefix}-log-archive-${local.archive_account}"
  access_log_bucket  = "${var.name_prefix}-log-archive-access-${local.archive_account}"
  archive_bucket_arn = "arn:${local.partition}:s3:::${local.archive_bucket}"
  flow_logs_prefix   = "vpc-flow-logs/"
}

# --- KMS key of the archive (log-archive account) -----------------------------
data "aws_iam_policy_document" "archive_key_services" {
  #checkov:skip=CKV_AWS_111:Key policy: Resource "*" is the key itself.
  #checkov:skip=CKV_AWS_356:Key policy: Resource "*" is the key itself.
  statement {
    sid       = "CloudTrailEncryptsTheOrganizationTrail"
    actions   = ["kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:cloudtrail:arn"
      values   = ["arn:${local.partition}:cloudtrail:*:${local.management_account}:trail/*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid       = "CloudTrailDescribesTheKey"
    actions   = ["kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
  }

  statement {
    sid       = "VpcFlowLogDeliveryFromTheOrganization"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceOrgID"
      values   = [var.organization_id]
    }
  }
}

module "archive_key" {
  source = "../kms_key"
  providers = {
    aws = aws.log_archive
  }

  description      = "${var.name_prefix}: organisation log archive (CloudTrail, flow logs, CloudWatch Logs)"
  alias            = "${var.name_prefix}-log-archive"
  policy_documents = [data.aws_iam_policy_document.archive_key_services.json]
  tags             = var.tags
}

moved {
  from = aws_kms_key.archive
  to   = module.archive_key.aws_kms_key.this
}

moved {
  from = aws_kms_alias.archive
  to   = module.archive_key.aws_kms_alias.this
}

# --- Archive bucket (log-archive account) --------------------------------------
data "aws_iam_policy_document" "archive_delivery" {
  statement {
    sid       = "CloudTrailAclCheck"
    actions   = ["s3:GetBucketAcl"]
    resources = [local.archive_bucket_arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid     = "CloudTrailWrite"
    actions = ["s3:PutObject"]
    resources = [
      "${local.archive_bucket_arn}/AWSLogs/${local.management_account}/*",
      "${local.archive_bucket_arn}/AWSLogs/${var.organization_id}/*",
    ]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid       = "FlowLogsAclCheck"
    actions   = ["s3:GetBucketAcl", "s3:ListBucket"]
    resources = [local.archive_bucket_arn]

    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceOrgID"
      values   = [var.organization_id]
    }
  }

  statement {
    sid       = "FlowLogsWrite"
    actions   = ["s3:PutObject"]
    resources = ["${local.archive_bucket_arn}/${local.flow_logs_prefix}*"]

    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceOrgID"
      values   = [var.organization_id]
    }
  }
}

module "access_logs" {
  source = "../s3_bucket"
  providers = {
    aws = aws.log_archive
  }

  name                      = local.access_log_bucket
  kms_key_arn               = null # S3 server access logs can only be delivered to SSE-S3 buckets.
  force_destroy             = var.force_destroy
  eventbridge_notifications = false
  lifecycle_rules = [{
    id              = "expire-access-logs"
    transitions     = [{ days = 30, storage_class = "GLACIER" }]
    expiration_days = 365
  }]
  tags = var.tags
}

module "archive" {
  source = "../s3_bucket"
  providers = {
    aws = aws.log_archive
  }

  name                       = local.archive_bucket
  kms_key_arn                = module.archive_key.arn
  access_log_bucket          = module.access_logs.id
  force_destroy              = var.force_destroy
  object_lock_retention_days = var.object_lock_retention_days
  eventbridge_notifications  = false
  policy_documents           = [data.aws_iam_policy_document.archive_delivery.json]
  lifecycle_rules = [{
    id              = "archive-to-glacier"
    transitions     = [{ days = var.archive_glacier_transition_days, storage_class = "GLACIER" }]
    expiration_days = var.archive_expiration_days
  }]
  tags = var.tags
}

# --- Organisation trail (management account) ----------------------------------
resource "aws_cloudtrail" "organization" {
  #checkov:skip=CKV_AWS_252:No SNS notification per log file: the archive is the consumer, and alerts come from GuardDuty and alarms.
  #checkov:skip=CKV2_AWS_10:Trail events are archived in S3 and analysed there; a CloudWatch Logs copy of every org API call would cost more than the POC budget.
  name                          = local.trail_name
  s3_bucket_name                = module.archive.id
  is_organization_trail         = true
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  kms_key_id                    = module.archive_key.arn
  tags                          = var.tags

  event_selector {
    read_write_type           = "All"
    include_management_events = true
  }

  depends_on = [module.archive]
}

# --- CloudWatch Logs -> Firehose -> archive (log-archive account) --------------
# Every environment subscribes its log groups to this cross-account destination
# (aws_cloudwatch_log_subscription_filter with destination_arn), so the archive
# holds a copy of every Lambda, API Gateway and Glue log line.
data "aws_iam_policy_document" "firehose_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [local.archive_account]
    }
  }
}

resource "aws_iam_role" "firehose" {
  provider = aws.log_archive

  name               = "${var.name_prefix}-logs-firehose"
  assume_role_policy = data.aws_iam_policy_document.firehose_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "firehose" {
  statement {
    sid       = "WriteTheArchive"
    actions   = ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject"]
    resources = [module.archive.arn, "${module.archive.arn}/cloudwatch-logs/*", "${module.archive.arn}/cloudwatch-logs-errors/*"]
  }

  statement {
    sid       = "EncryptWithTheArchiveKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [module.archive_key.arn]
  }

  statement {
    sid       = "ReportDeliveryErrors"
    actions   = ["logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.firehose.arn}:*"]
  }
}

resource "aws_iam_role_policy" "firehose" {
  provider = aws.log_archive

  name   = "archive-delivery"
  role   = aws_iam_role.firehose.id
  policy = data.aws_iam_policy_document.firehose.json
}

resource "aws_cloudwatch_log_group" "firehose" {
  provider = aws.log_archive

  name              = "/aws/kinesisfirehose/${var.name_prefix}-logs-archive"
  retention_in_days = 365
  kms_key_id        = module.archive_logs_key.arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_stream" "firehose" {
  provider = aws.log_archive

  name           = "S3Delivery"
  log_group_name = aws_cloudwatch_log_group.firehose.name
}

# CloudWatch Logs encryption in the log-archive account needs a key that the
# regional logs service may use; kept apart from the archive key on purpose.
module "archive_logs_key" {
  source = "../kms_key"
  providers = {
    aws = aws.log_archive
  }

  description            = "${var.name_prefix}: CloudWatch Logs of the log-archive account"
  alias                  = "${var.name_prefix}-log-archive-logs"
  cloudwatch_logs_region = var.region
  tags                   = var.tags
}

moved {
  from = aws_kms_key.archive_logs
  to   = module.archive_logs_key.aws_kms_key.this
}

resource "aws_kinesis_firehose_delivery_stream" "logs" {
  provider = aws.log_archive

  name        = "${var.name_prefix}-logs-archive"
  destination = "extended_s3"
  tags        = var.tags

  server_side_encryption {
    enabled  = true
    key_type = "CUSTOMER_MANAGED_CMK"
    key_arn  = module.archive_key.arn
  }

  extended_s3_configuration {
    role_arn            = aws_iam_role.firehose.arn
    bucket_arn          = module.archive.arn
    kms_key_arn         = module.archive_key.arn
    prefix              = "cloudwatch-logs/dt=!{timestamp:yyyy-MM-dd}/"
    error_output_prefix = "cloudwatch-logs-errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"
    buffering_size      = 5
    buffering_interval  = var.firehose_buffer_seconds
    # CloudWatch Logs subscription records arrive gzip-compressed already.
    compression_format = "UNCOMPRESSED"

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose.name
      log_stream_name = aws_cloudwatch_log_stream.firehose.name
    }
  }
}

data "aws_iam_policy_document" "logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["logs.amazonaws.com"]
    }

    # Deliveries come from the organisation's accounts in this region; which
    # accounts may subscribe at all is decided by the destination policy
    # (aws:PrincipalOrgID) below.
    condition {
      test     = "StringLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:logs:${var.region}:*:*"]
    }
  }
}

resource "aws_iam_role" "logs_to_firehose" {
  provider = aws.log_archive

  name               = "${var.name_prefix}-logs-to-firehose"
  assume_role_policy = data.aws_iam_policy_document.logs_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "logs_to_firehose" {
  statement {
    actions   = ["firehose:PutRecord", "firehose:PutRecordBatch"]
    resources = [aws_kinesis_firehose_delivery_stream.logs.arn]
  }
}

resource "aws_iam_role_policy" "logs_to_firehose" {
  provider = aws.log_archive

  name   = "put-records"
  role   = aws_iam_role.logs_to_firehose.id
  policy = data.aws_iam_policy_document.logs_to_firehose.json
}

resource "aws_cloudwatch_log_destination" "archive" {
  provider = aws.log_archive

  name       = "${var.name_prefix}-logs-archive"
  role_arn   = aws_iam_role.logs_to_firehose.arn
  target_arn = aws_kinesis_firehose_delivery_stream.logs.arn
  tags       = var.tags

  depends_on = [aws_iam_role_policy.logs_to_firehose]
}

data "aws_iam_policy_document" "destination" {
  statement {
    sid       = "OrganizationAccountsSubscribe"
    actions   = ["logs:PutSubscriptionFilter"]
    resources = [aws_cloudwatch_log_destination.archive.arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalOrgID"
      values   = [var.organization_id]
    }
  }
}

resource "aws_cloudwatch_log_destination_policy" "archive" {
  provider = aws.log_archive

  destination_name = aws_cloudwatch_log_destination.archive.name
  access_policy    = data.aws_iam_policy_document.destination.json
}
