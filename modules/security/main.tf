data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}

# --- KMS: one customer-managed key per environment, rotated yearly ------------
# It encrypts the environment's data at rest: DynamoDB, SQS, SNS, S3 (with
# bucket keys, so KMS calls stay cheap), CloudWatch Logs, Glue, Athena results.
data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_111:Key policy: Resource "*" is the key itself.
  #checkov:skip=CKV_AWS_356:Key policy: Resource "*" is the key itself.
  #checkov:skip=CKV_AWS_109:Key policy: the account root keeps administration of its own key (the AWS default key policy); IAM policies then grant use.
  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchLogsOfThisAccount"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:*"]
    }
  }

  statement {
    sid       = "AlarmAndEventServicesPublishToEncryptedTopics"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    # No aws:SourceAccount condition here: the KMS calls SNS makes for these
    # publishers do not reliably carry it; the topic policy scopes publishers
    # to this account instead.
    principals {
      type        = "Service"
      identifiers = concat(["cloudwatch.amazonaws.com", "events.amazonaws.com"], var.key_service_principals)
    }
  }

  dynamic "statement" {
    for_each = length(var.key_user_principal_arns) > 0 ? [1] : []

    content {
      sid       = "CrossAccountUse"
      actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = var.key_user_principal_arns
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name_prefix}: data at rest (DynamoDB, SQS, SNS, S3, logs, Glue, Athena)"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = var.key_deletion_window_days
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}-data"
  target_key_id = aws_kms_key.this.key_id
}

# --- SNS alert topic (encrypted) ----------------------------------------------
resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-alerts"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = var.tags
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid       = "AccountOwnsTheTopic"
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "AlarmsEventsAndStepFunctionsPublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alert_emails)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

# --- GuardDuty, organisation-wide with a delegated administrator --------------
resource "aws_guardduty_organization_admin_account" "this" {
  count    = var.guardduty_organization_admin ? 1 : 0
  provider = aws.management

  admin_account_id = local.account_id
}

resource "aws_guardduty_detector" "this" {
  count = var.guardduty_organization_admin ? 1 : 0

  enable                       = true
  finding_publishing_frequency = var.guardduty_finding_frequency
  tags                         = var.tags
}

resource "aws_guardduty_organization_configuration" "this" {
  count = var.guardduty_organization_admin ? 1 : 0

  detector_id                      = aws_guardduty_detector.this[0].id
  auto_enable_organization_members = "ALL"

  depends_on = [aws_guardduty_organization_admin_account.this]
}

resource "aws_guardduty_organization_configuration_feature" "s3" {
  count = var.guardduty_organization_admin ? 1 : 0

  detector_id = aws_guardduty_detector.this[0].id
  name        = "S3_DATA_EVENTS"
  auto_enable = "ALL"

  depends_on = [aws_guardduty_organization_configuration.this]
}

# High-severity findings (of every member account: the delegated admin sees
# them all) go to the alert topic.
resource "aws_cloudwatch_event_rule" "guardduty_findings" {
  count = var.guardduty_organization_admin ? 1 : 0

  name        = "${var.name_prefix}-guardduty-findings"
  description = "GuardDuty findings of severity >= ${var.guardduty_alert_min_severity}"
  event_pattern = jsonencode({
    source        = ["aws.guardduty"]
    "detail-type" = ["GuardDuty Finding"]
    detail        = { severity = [{ numeric = [">=", var.guardduty_alert_min_severity] }] }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "guardduty_findings" {
  count = var.guardduty_organization_admin ? 1 : 0

  rule      = aws_cloudwatch_event_rule.guardduty_findings[0].name
  target_id = "alerts"
  arn       = aws_sns_topic.alerts.arn
}
