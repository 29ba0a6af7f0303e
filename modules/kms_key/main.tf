# A customer-managed KMS key with yearly rotation, its alias, and the key policy every key of
# the platform starts from: the account administers its own key (AWS's default statement), the
# account's CloudWatch Logs may encrypt log groups with it (when cloudwatch_logs_region is set),
# named principals may use it, and the caller adds its service statements as policy documents.
data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_111:Key policy: Resource "*" is the key itself.
  #checkov:skip=CKV_AWS_356:Key policy: Resource "*" is the key itself.
  #checkov:skip=CKV_AWS_109:Key policy: the account root keeps administration of its own key (the AWS default key policy); IAM policies then grant use.
  source_policy_documents = var.policy_documents

  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  dynamic "statement" {
    for_each = var.cloudwatch_logs_region == null ? [] : [var.cloudwatch_logs_region]

    content {
      sid       = "CloudWatchLogsOfThisAccount"
      actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["logs.${statement.value}.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "kms:EncryptionContext:aws:logs:arn"
        values   = ["arn:${local.partition}:logs:${statement.value}:${local.account_id}:*"]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.user_principal_arns) > 0 ? [1] : []

    content {
      sid       = "KeyUsers"
      actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = var.user_principal_arns
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description             = var.description
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_days
  deletion_window_in_days = var.deletion_window_days
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this.key_id
}
