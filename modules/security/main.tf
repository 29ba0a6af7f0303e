data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}

# --- KMS: one customer-managed key per environment, rotated yearly ------------
# It encrypts the environment's data at rest: DynamoDB, SQS, SNS, S3 (with
# bucket keys, so KMS calls stay cheap), CloudWatch Logs, Glue, Athena results.
data "aws_iam_policy_document" "key_services" {
  #checkov:skip=CKV_AWS_111:Key policy: Resource "*" is the key itself.
  #checkov:skip=CKV_AWS_356:Key policy: Resource "*" is the key itself.
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
}

module "key" {
  source = "../kms_key"

  description            = "${var.name_prefix}: data at rest (DynamoDB, SQS, SNS, S3, logs, Glue, Athena)"
  alias                  = "${var.name_prefix}-data"
  cloudwatch_logs_region = var.region
  user_principal_arns    = var.key_user_principal_arns
  policy_documents       = [data.aws_iam_policy_document.key_services.json]
  deletion_window_days   = var.key_deletion_window_days
  tags                   = var.tags
}

moved {
  from = aws_kms_key.this
  to   = module.key.aws_kms_key.this
}

moved {
  from = aws_kms_alias.this
  to   = module.key.aws_kms_alias.this
}

# --- SNS alert topic (encrypted) ----------------------------------------------
resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-alerts"
  kms_master_key_id = module.key.arn
  tags              = var.tags
}

module "alerts_deny_insecure_transport" {
  source = "../tls_only_policy"

  actions   = ["sns:Publish"]
  resources = [aws_sns_topic.alerts.arn]
}

data "aws_iam_policy_document" "alerts" {
  # After the statements below, as the policy has always had it (an override with a Sid of its own appends).
  override_policy_documents = [module.alerts_deny_insecure_transport.json]

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
