# --- Orchestration: schedule -> Glue job (.sync) -> Athena data-quality checks
#     (.sync) -> SNS alert on any failure ------------------------------------------------
# Every athena/checks/*.sql returns no rows when the lake is healthy; each row
# it returns is a violation (e.g. a partition whose curated count differs from
# the raw zone, or a duplicated event id). The checks run in the platform's
# Athena workgroup, after the job has committed its bookmark.
# The definition is a template file: Terraform renders it here, and the local platform renders the
# same file to run it with the local Glue job and Athena engine (local_platform/lake/orchestration.py).
locals {
  checks = module.catalog.checks

  definition = templatefile("${path.module}/lake_pipeline.asl.json.tftpl", {
    partition          = local.partition
    name_prefix        = var.name_prefix
    glue_job_name      = aws_glue_job.raw_to_curated.name
    platform_workgroup = var.platform_workgroup
    glue_database      = var.glue_database
    alert_topic_arn    = var.alert_topic_arn
  })
}

data "aws_iam_policy_document" "sfn_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "pipeline" {
  count = var.orchestration_enabled ? 1 : 0

  name                 = "${var.names.lake_state_machine}-sfn"
  description          = "Step Functions role of the ${var.names.lake_state_machine} state machine"
  assume_role_policy   = data.aws_iam_policy_document.sfn_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "pipeline" {
  #checkov:skip=CKV_AWS_111:CloudWatch Logs delivery APIs (logs:*LogDelivery, DescribeLogGroups...) and X-Ray writes support no resource-level permissions; Step Functions requires them on "*" for execution logging and tracing.
  #checkov:skip=CKV_AWS_356:CloudWatch Logs delivery APIs and X-Ray writes support no resource-level permissions (AWS documents Resource "*" for them).
  statement {
    sid       = "RunTheGlueJob"
    actions   = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
    resources = [aws_glue_job.raw_to_curated.arn]
  }

  statement {
    sid       = "RunDataQualityChecks"
    actions   = ["athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:GetWorkGroup"]
    resources = ["arn:${local.partition}:athena:${local.region}:${local.account_id}:workgroup/${var.platform_workgroup}"]
  }

  statement {
    sid     = "AthenaReadsTheCatalog"
    actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"]
    resources = [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${var.glue_database}",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${var.glue_database}/*",
    ]
  }

  statement {
    sid       = "AthenaReadsTheZones"
    actions   = ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation"]
    resources = flatten([for k in ["raw", "rejected", "curated"] : [module.bucket[k].arn, "${module.bucket[k].arn}/*"]])
  }

  statement {
    sid       = "AthenaWritesResults"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = [module.bucket["athena_results"].arn, "${module.bucket["athena_results"].arn}/platform/*"]
  }

  statement {
    sid       = "UseTheDataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "Alert"
    actions   = ["sns:Publish"]
    resources = [var.alert_topic_arn]
  }

  statement {
    sid = "ExecutionLogsAndTraces"
    actions = [
      "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery", "logs:ListLogDeliveries",
      "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
      "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "pipeline" {
  count = var.orchestration_enabled ? 1 : 0

  name   = "lake-pipeline"
  role   = aws_iam_role.pipeline[0].id
  policy = data.aws_iam_policy_document.pipeline.json
}

resource "aws_cloudwatch_log_group" "pipeline" {
  #checkov:skip=CKV_AWS_338:Retention is per environment from config/platform.yaml (prod 365 days); the group is also subscribed to the organisation's log archive.
  count = var.orchestration_enabled ? 1 : 0

  name              = "/aws/vendedlogs/states/${var.names.lake_state_machine}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_subscription_filter" "pipeline" {
  count = var.orchestration_enabled && var.log_subscription_destination_arn != null ? 1 : 0

  name            = "central-archive"
  log_group_name  = aws_cloudwatch_log_group.pipeline[0].name
  filter_pattern  = ""
  destination_arn = var.log_subscription_destination_arn
}

resource "aws_sfn_state_machine" "pipeline" {
  count = var.orchestration_enabled ? 1 : 0

  name       = var.names.lake_state_machine
  role_arn   = aws_iam_role.pipeline[0].arn
  type       = "STANDARD"
  definition = local.definition
  tags       = var.tags

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.pipeline[0].arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  encryption_configuration {
    type                              = "CUSTOMER_MANAGED_KMS_KEY"
    kms_key_id                        = var.kms_key_arn
    kms_data_key_reuse_period_seconds = 300
  }

  depends_on = [aws_iam_role_policy.pipeline]
}

# --- The schedule (config lake.schedule) ----------------------------------------------------
data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  count = var.orchestration_enabled ? 1 : 0

  name                 = "${var.names.lake_state_machine}-scheduler"
  description          = "EventBridge Scheduler starts the lake pipeline"
  assume_role_policy   = data.aws_iam_policy_document.scheduler_assume.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

data "aws_iam_policy_document" "scheduler" {
  count = var.orchestration_enabled ? 1 : 0

  statement {
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.pipeline[0].arn]
  }

  statement {
    # The state machine is encrypted with the environment key: starting an
    # execution encrypts its input with it.
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  count = var.orchestration_enabled ? 1 : 0

  name   = "start-pipeline"
  role   = aws_iam_role.scheduler[0].id
  policy = data.aws_iam_policy_document.scheduler[0].json
}

resource "aws_scheduler_schedule" "pipeline" {
  #checkov:skip=CKV_AWS_297:The schedule's input is the data-quality SQL from the repository, nothing sensitive; the state machine and its logs are encrypted with the environment key.
  count = var.orchestration_enabled ? 1 : 0

  name                         = var.names.lake_state_machine
  description                  = "Runs the ${var.name_prefix} lake pipeline (config lake.schedule)"
  schedule_expression          = var.lake.schedule
  schedule_expression_timezone = "UTC"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.pipeline[0].arn
    role_arn = aws_iam_role.scheduler[0].arn
    input    = jsonencode({ checks = [for name, query in local.checks : { name = name, query = query, has_cutoff = strcontains(query, "?") }] })

    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 3600
    }
  }
}
