# A KMS-encrypted CloudWatch Logs group with its retention, subscribed to the organisation's
# log archive when a destination is given: every log group of the platform is one of these.
resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:Retention is per environment from config/platform.yaml (prod 365 days); every group is also subscribed to the organisation's log archive, which keeps years.
  name              = var.name
  retention_in_days = var.retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_subscription_filter" "this" {
  count = var.subscription_destination_arn == null ? 0 : 1

  name            = "central-archive"
  log_group_name  = aws_cloudwatch_log_group.this.name
  filter_pattern  = ""
  destination_arn = var.subscription_destination_arn
}
